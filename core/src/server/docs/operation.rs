//! One route of `/docs`: heading, summary, other paths, authentication, parameters,
//! request body, responses and request examples (the document's `x-codeSamples`, or a curl
//! command built from the route).

use std::fmt::Write;

use serde_json::Value;

use super::{Route, escape, prose, route_code, schema, slug};

/// One route: heading, summary, other paths, authentication, parameters, body, responses
/// and examples.
pub(super) fn render(h: &mut String, doc: &Value, r: &Route, port: u16) {
    let op = r.op;
    let _ = writeln!(
        h,
        "<section class=\"op\" aria-labelledby=\"{id}\">\n<h3 id=\"{id}\">{}</h3>",
        route_code(r.method, r.path),
        id = escape(&r.id())
    );
    for key in ["summary", "description"] {
        if let Some(text) = op[key].as_str() {
            let _ = writeln!(h, "<p>{}</p>", prose(text));
        }
    }
    if !r.also.is_empty() {
        let also: Vec<String> = r.also.iter().map(|p| route_code(r.method, p)).collect();
        let _ = writeln!(h, "<p>Also served as {}.</p>", also.join(", "));
    }
    let _ = writeln!(
        h,
        "<p><strong>Authentication:</strong> {}</p>",
        security(doc, op)
    );

    if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
        h.push_str(
            "<h4>Parameters</h4>\n<table>\n<thead><tr><th scope=\"col\">Name</th>\
                    <th scope=\"col\">In</th><th scope=\"col\">Type</th><th scope=\"col\">\
                    Description</th></tr></thead>\n<tbody>\n",
        );
        for p in params {
            let _ = writeln!(
                h,
                "<tr><td><code>{}</code></td><td>{}{}</td><td>{}</td><td>{}</td></tr>",
                escape(p["name"].as_str().unwrap_or_default()),
                escape(p["in"].as_str().unwrap_or_default()),
                if p["required"] == true {
                    ", required"
                } else {
                    ""
                },
                escape(&schema::type_label(&p["schema"])),
                prose(p["description"].as_str().unwrap_or_default()),
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }

    let body = &op["requestBody"];
    if body.is_object() {
        h.push_str("<h4>Request body</h4>\n");
        let required = if body["required"] == true {
            "Required"
        } else {
            "Optional"
        };
        let description = body["description"].as_str().unwrap_or(required);
        let _ = writeln!(h, "<p>{}</p>", prose(description));
        for (content_type, content) in body["content"].as_object().into_iter().flatten() {
            let _ = writeln!(h, "<p><code>{}</code>:</p>", escape(content_type));
            example_block(h, doc, &content["schema"], &content["example"]);
            field_table(h, doc, &content["schema"]);
        }
    }

    h.push_str(
        "<h4>Responses</h4>\n<table>\n<thead><tr><th scope=\"col\">Status</th>\
                <th scope=\"col\">Meaning</th><th scope=\"col\">Body</th></tr></thead>\n<tbody>\n",
    );
    for (status, response) in op["responses"].as_object().into_iter().flatten() {
        let reason = status
            .parse::<u16>()
            .ok()
            .and_then(|s| axum::http::StatusCode::from_u16(s).ok())
            .and_then(|s| s.canonical_reason())
            .unwrap_or_default();
        let _ = write!(
            h,
            "<tr><td><strong>{}</strong> {}</td><td>{}</td><td>",
            escape(status),
            escape(reason),
            prose(response["description"].as_str().unwrap_or_default()),
        );
        let mut content = response["content"].as_object().into_iter().flatten();
        match content.next() {
            Some((content_type, c)) if c["schema"].is_object() || !c["example"].is_null() => {
                if let Some(name) = schema::ref_name(&c["schema"]) {
                    let _ = write!(
                        h,
                        "<a href=\"#schema-{}\">{}</a> ",
                        slug(name),
                        escape(name)
                    );
                }
                let _ = write!(h, "<code>{}</code>", escape(content_type));
                example_block(h, doc, &c["schema"], &c["example"]);
            }
            Some((content_type, _)) => {
                let _ = write!(h, "<code>{}</code>", escape(content_type));
            }
            None => h.push_str("None"),
        }
        h.push_str("</td></tr>\n");
    }
    h.push_str("</tbody>\n</table>\n<h4>Examples</h4>\n");
    let samples = op["x-codeSamples"].as_array().filter(|s| !s.is_empty());
    let local = format!("localhost:{port}");
    match samples {
        Some(samples) => {
            for s in samples {
                let source = s["source"].as_str().unwrap_or_default();
                let label = s["label"]
                    .as_str()
                    .or(s["lang"].as_str())
                    .unwrap_or("Example");
                code_figure(h, label, &source.replace("localhost:8000", &local));
            }
        }
        None => code_figure(h, "curl", &curl(doc, r, &local)),
    }
    h.push_str("</section>\n");
}

/// A figure with a caption and a code block.
fn code_figure(h: &mut String, caption: &str, code: &str) {
    let _ = writeln!(
        h,
        "<figure class=\"sample\"><figcaption>{}</figcaption><pre tabindex=\"0\"><code>{}</code></pre></figure>",
        escape(caption),
        escape(code)
    );
}

/// A JSON example: the document's own, else one built from the schema.
pub(super) fn example_block(h: &mut String, doc: &Value, schema: &Value, example: &Value) {
    let value = if example.is_null() {
        schema::sample(doc, schema)
    } else {
        example.clone()
    };
    let text = serde_json::to_string_pretty(&value).unwrap_or_default();
    let _ = write!(
        h,
        "<pre tabindex=\"0\"><code>{}</code></pre>",
        escape(&text)
    );
}

/// The fields of an object schema as a table (nothing for other schemas).
pub(super) fn field_table(h: &mut String, doc: &Value, schema: &Value) {
    let fields = schema::fields(doc, schema);
    if fields.is_empty() {
        return;
    }
    h.push_str(
        "<table>\n<thead><tr><th scope=\"col\">Field</th><th scope=\"col\">Type</th>\
                <th scope=\"col\">Description</th></tr></thead>\n<tbody>\n",
    );
    for f in fields {
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&f.name),
            if f.required { " (required)" } else { "" },
            escape(&f.label),
            prose(&f.description)
        );
    }
    h.push_str("</tbody>\n</table>\n");
}

/// "None", or the credentials that open the route (any one of them).
fn security(doc: &Value, op: &Value) -> String {
    let names: Vec<String> = op["security"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|req| req.as_object())
        .flat_map(|req| req.keys())
        .map(|name| {
            let scheme = &doc["components"]["securitySchemes"][name];
            format!(
                "<a href=\"#scheme-{}\">{}</a> ({})",
                slug(name),
                escape(name),
                escape(&credential(scheme))
            )
        })
        .collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", or ")
    }
}

/// Where a credential goes, in words: `Authorization: Bearer`, `?token=`, a cookie.
pub(super) fn credential(scheme: &Value) -> String {
    let name = scheme["name"].as_str().unwrap_or_default();
    match (scheme["type"].as_str(), scheme["in"].as_str()) {
        (Some("http"), _) => format!(
            "Authorization: {}",
            capitalise(scheme["scheme"].as_str().unwrap_or_default())
        ),
        (Some("apiKey"), Some("query")) => format!("query ?{name}="),
        (Some("apiKey"), Some("cookie")) => format!("cookie {name}"),
        (Some("apiKey"), Some("header")) => format!("header {name}"),
        (t, _) => t.unwrap_or("unknown").to_owned(),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A curl command for a route the document gives no example for.
fn curl(doc: &Value, r: &Route, local: &str) -> String {
    let path = r.path.replace('{', "<").replace('}', ">");
    let mut lines = vec![if r.method == "get" {
        format!("curl \"http://{local}{path}\"")
    } else {
        format!(
            "curl -X {} \"http://{local}{path}\"",
            r.method.to_ascii_uppercase()
        )
    }];
    let first = r.op["security"][0]
        .as_object()
        .and_then(|s| s.keys().next());
    if let Some(name) = first {
        let scheme = &doc["components"]["securitySchemes"][name];
        if scheme["type"] == "http" {
            let kind = capitalise(scheme["scheme"].as_str().unwrap_or_default());
            lines.push(format!("-H \"Authorization: {kind} <{name}>\""));
        }
    }
    let json = &r.op["requestBody"]["content"]["application/json"];
    if json.is_object() {
        let body = schema::sample(doc, &json["schema"])
            .to_string()
            .replace('\'', "'\\''");
        lines.push("-H \"Content-Type: application/json\"".to_owned());
        lines.push(format!("-d '{body}'"));
    }
    lines.join(" \\\n  ")
}
