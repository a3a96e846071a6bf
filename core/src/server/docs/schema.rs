//! Reading JSON Schemas out of the OpenAPI document for `/docs`: an example value for a
//! schema (its own example if it has one), a short type label, and a schema's fields.

use serde_json::{Map, Value, json};

/// How deep [`sample`] follows nested schemas (and `$ref` cycles).
const MAX_DEPTH: usize = 8;

/// Follows `{"$ref": "#/components/schemas/Name"}` (repeatedly) to the schema it names.
pub fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    let mut schema = schema;
    for _ in 0..MAX_DEPTH {
        match ref_name(schema) {
            Some(name) => schema = &doc["components"]["schemas"][name],
            None => break,
        }
    }
    schema
}

/// The component name a `$ref` points to.
pub fn ref_name(schema: &Value) -> Option<&str> {
    schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
}

/// The schema's alternatives (`oneOf`/`anyOf`) without JSON `null`.
fn alternatives(schema: &Value) -> Vec<&Value> {
    ["oneOf", "anyOf"]
        .iter()
        .filter_map(|k| schema[k].as_array())
        .flatten()
        .filter(|s| s["type"] != "null")
        .collect()
}

/// The schema's type, the first that is not `null` when it lists several.
fn type_of(schema: &Value) -> Option<&str> {
    match &schema["type"] {
        Value::String(t) => Some(t),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    }
}

/// An example value for `schema`: its own `example` (or first of `examples`, `enum`,
/// `default`), else one built from its type and properties.
pub fn sample(doc: &Value, schema: &Value) -> Value {
    sample_at(doc, schema, 0)
}

fn sample_at(doc: &Value, schema: &Value, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    let schema = resolve(doc, schema);
    for own in [
        &schema["example"],
        &schema["examples"][0],
        &schema["enum"][0],
        &schema["const"],
        &schema["default"],
    ] {
        if !own.is_null() {
            return own.clone();
        }
    }
    if let Some(first) = alternatives(schema).first() {
        return sample_at(doc, first, depth + 1);
    }
    if let Some(all) = schema["allOf"].as_array() {
        let mut merged = Map::new();
        for part in all {
            if let Value::Object(o) = sample_at(doc, part, depth + 1) {
                merged.extend(o);
            }
        }
        return Value::Object(merged);
    }
    match type_of(schema) {
        Some("object") | None if schema["properties"].is_object() => {
            let mut object = Map::new();
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                object.insert(name.clone(), sample_at(doc, property, depth + 1));
            }
            Value::Object(object)
        }
        Some("object") => json!({}),
        Some("array") => json!([sample_at(doc, &schema["items"], depth + 1)]),
        Some("integer") => schema["minimum"].as_i64().unwrap_or(0).into(),
        Some("number") => json!(0),
        Some("boolean") => json!(true),
        Some("string") => match schema["format"].as_str() {
            Some("date-time") => json!("2024-01-15T10:00:00Z"),
            _ => json!("string"),
        },
        _ => Value::Null,
    }
}

/// A short label: `string`, `integer (1 to 720)`, `array of Name`, `Name`, `string or null`.
pub fn type_label(schema: &Value) -> String {
    if let Some(name) = ref_name(schema) {
        return name.to_owned();
    }
    let alternatives = alternatives(schema);
    if !alternatives.is_empty() {
        let labels: Vec<String> = alternatives.iter().map(|s| type_label(s)).collect();
        return labels.join(" or ");
    }
    let mut label = match type_of(schema) {
        Some("array") => format!("array of {}", type_label(&schema["items"])),
        Some(t) => t.to_owned(),
        None => "any".to_owned(),
    };
    if let Some(format) = schema["format"].as_str() {
        label = format!("{label} ({format})");
    }
    match (&schema["minimum"], &schema["maximum"]) {
        (Value::Null, Value::Null) => {}
        (min, Value::Null) => label = format!("{label}, at least {min}"),
        (Value::Null, max) => label = format!("{label}, at most {max}"),
        (min, max) => label = format!("{label}, {min} to {max}"),
    }
    if let Value::Array(ts) = &schema["type"] {
        if ts.iter().any(|t| t == "null") {
            label.push_str(" or null");
        }
    }
    label
}

/// A field of an object schema: name, type label, required, description.
pub struct Field {
    pub name: String,
    pub label: String,
    pub required: bool,
    pub description: String,
}

/// The fields of `schema` (after `$ref`), in the document's order.
pub fn fields(doc: &Value, schema: &Value) -> Vec<Field> {
    let schema = resolve(doc, schema);
    let required: Vec<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, property)| Field {
            name: name.clone(),
            label: type_label(property),
            required: required.contains(&name.as_str()),
            description: resolve(doc, property)["description"]
                .as_str()
                .or_else(|| property["description"].as_str())
                .unwrap_or_default()
                .to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_follow_refs_and_prefer_the_schemas_own_example() {
        let doc = json!({"components": {"schemas": {
            "Body": {"type": "object", "required": ["n"], "properties": {
                "n": {"type": "integer", "minimum": 1, "maximum": 9, "description": "A number"},
                "when": {"type": ["string", "null"], "format": "date-time"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "self": {"$ref": "#/components/schemas/Body"}
            }},
            "Named": {"type": "string", "example": "BCDF-2345"}
        }}});
        let body = json!({"$ref": "#/components/schemas/Body"});
        let s = sample(&doc, &body);
        assert_eq!(s["n"], 1);
        assert_eq!(s["when"], "2024-01-15T10:00:00Z");
        assert_eq!(s["tags"], json!(["string"]));
        assert_eq!(s["self"]["n"], 1, "a cycle ends at the depth limit: {s}");
        assert_eq!(
            sample(&doc, &json!({"$ref": "#/components/schemas/Named"})),
            "BCDF-2345"
        );
        let f = fields(&doc, &body);
        let field = |name: &str| f.iter().find(|f| f.name == name).expect(name);
        assert_eq!(field("n").label, "integer, 1 to 9");
        assert!(field("n").required && !field("tags").required);
        assert_eq!(field("n").description, "A number");
        assert_eq!(field("tags").label, "array of string");
        assert_eq!(field("when").label, "string (date-time) or null");
        assert_eq!(field("self").label, "Body");
        assert_eq!(
            type_label(
                &json!({"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Named"}]})
            ),
            "Named"
        );
    }
}
