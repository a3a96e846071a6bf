//! `GET /docs`: the OpenAPI document `/api/openapi.json` serves, rendered on the server as
//! a page a person can read: a table of contents, then every route with its parameters,
//! body, responses (status, meaning, example body) and request examples. Everything on the
//! page comes from the document, so a new route shows up by itself; every value from it is
//! escaped. No script, no inline style: the landing page's CSP holds.

pub use crate::html::escape;

mod operation;
mod schema;

use std::fmt::Write;

use axum::extract::State;
use axum::response::{Html, IntoResponse};
use serde_json::Value;

use super::openapi;
use crate::state::AppState;

const CSS: &str = include_str!("../../assets/docs.css");

/// HTTP methods an OpenAPI path item may hold, in the order the page lists them.
const METHODS: [&str; 8] = [
    "get", "post", "put", "patch", "delete", "head", "options", "trace",
];

/// The docs page.
pub async fn page(State(state): State<AppState>) -> impl IntoResponse {
    let doc = openapi::document_for(state.config().ttl_hours);
    let doc = serde_json::to_value(doc).unwrap_or_default();
    Html(render(&doc, state.listening_port()))
}

/// The page's own stylesheet (on top of the landing page's).
pub async fn css() -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("text/css; charset=utf-8"),
        )],
        CSS,
    )
}

/// Text from the document (its descriptions are Markdown): escaped, with `code` spans
/// shown as code.
pub fn prose(s: &str) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    if parts.len() % 2 == 0 {
        // An unpaired backtick: show the text as it is.
        return escape(s);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| match i % 2 {
            0 => escape(part),
            _ => format!("<code>{}</code>", escape(part)),
        })
        .collect()
}

/// One operation, with the other paths that serve exactly the same operation
/// (`/api/v1/...` beside `/api/...`).
pub(crate) struct Route<'a> {
    method: &'a str,
    path: &'a str,
    op: &'a Value,
    also: Vec<&'a str>,
}

impl Route<'_> {
    pub(crate) fn id(&self) -> String {
        format!("{}{}", self.method, slug(self.path))
    }
}

/// `s` with every character but ASCII letters and digits turned into `-`: a fragment id.
pub(crate) fn slug(s: &str) -> String {
    let slug: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    slug.trim_end_matches('-').to_owned()
}

/// `<code class="route">METHOD /path</code>`: how the page names an operation.
pub(crate) fn route_code(method: &str, path: &str) -> String {
    format!(
        "<code class=\"route\"><span class=\"method\">{}</span> {}</code>",
        escape(&method.to_ascii_uppercase()),
        escape(path)
    )
}

/// Every operation in the document, identical ones under several paths merged.
fn routes(doc: &Value) -> Vec<Route<'_>> {
    let mut routes: Vec<Route> = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            let op = &item[method];
            if op.is_null() {
                continue;
            }
            match routes.iter_mut().find(|r| r.method == method && r.op == op) {
                Some(same) => same.also.push(path),
                None => routes.push(Route {
                    method,
                    path,
                    op,
                    also: Vec::new(),
                }),
            }
        }
    }
    routes
}

/// The tags in the document's order, then any a route uses that it does not list, and
/// `None` for routes without a tag; each with its routes.
fn by_tag<'a, 'r>(
    doc: &'a Value,
    routes: &'r [Route<'a>],
) -> Vec<(String, String, Vec<&'r Route<'a>>)> {
    let tag_of = |r: &Route| r.op["tags"][0].as_str().unwrap_or("other").to_owned();
    let mut tags: Vec<(String, String)> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| {
            let name = t["name"].as_str()?.to_owned();
            Some((
                name,
                t["description"].as_str().unwrap_or_default().to_owned(),
            ))
        })
        .collect();
    for r in routes {
        let tag = tag_of(r);
        if !tags.iter().any(|(name, _)| *name == tag) {
            tags.push((tag, String::new()));
        }
    }
    tags.into_iter()
        .map(|(name, description)| {
            let members = routes.iter().filter(|r| tag_of(r) == name).collect();
            (name, description, members)
        })
        .filter(|(_, _, members): &(String, String, Vec<_>)| !members.is_empty())
        .collect()
}

/// The whole page.
pub fn render(doc: &Value, port: u16) -> String {
    let routes = routes(doc);
    let groups = by_tag(doc, &routes);
    let info = &doc["info"];
    let title = format!("{} HTTP API", info["title"].as_str().unwrap_or("API"));
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<link rel=\"stylesheet\" href=\"/assets/pawkey.css\">\n\
         <link rel=\"stylesheet\" href=\"/assets/docs.css\">\n</head>\n<body class=\"docs\">\n\
         <a class=\"skip\" href=\"#content\">Skip to the routes</a>\n<header>\n<h1>{title}</h1>\n\
         <p class=\"lead\">{desc} Version {version}, at <code>http://localhost:{port}</code>.</p>\n\
         <p class=\"meta\"><a href=\"/\">PawKey</a> · <a href=\"/api/openapi.json\">This \
         document as OpenAPI JSON</a></p>\n</header>\n",
        title = escape(&title),
        desc = prose(info["description"].as_str().unwrap_or_default()),
        version = escape(info["version"].as_str().unwrap_or_default()),
    );

    h.push_str(
        "<nav aria-labelledby=\"toc-h\">\n<h2 id=\"toc-h\">Routes</h2>\n<ul class=\"toc\">\n",
    );
    for (tag, description, members) in &groups {
        let _ = write!(
            h,
            "<li><a href=\"#tag-{id}\">{}</a>\n<ul>\n",
            escape(&heading(tag, description)),
            id = slug(tag)
        );
        for r in members {
            let _ = writeln!(
                h,
                "<li><a href=\"#{}\">{}</a></li>",
                escape(&r.id()),
                route_code(r.method, r.path)
            );
        }
        h.push_str("</ul></li>\n");
    }
    h.push_str(
        "<li><a href=\"#auth\">Authentication</a></li>\n<li><a href=\"#schemas\">Schemas</a></li>\n\
         </ul>\n</nav>\n<main id=\"content\" tabindex=\"-1\">\n",
    );

    for (tag, description, members) in &groups {
        let _ = writeln!(
            h,
            "<section aria-labelledby=\"tag-{id}\">\n<h2 id=\"tag-{id}\">{}</h2>",
            escape(&heading(tag, description)),
            id = slug(tag)
        );
        for r in members {
            operation::render(&mut h, doc, r, port);
        }
        h.push_str("</section>\n");
    }
    authentication(&mut h, doc);
    schemas(&mut h, doc);
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

fn heading(tag: &str, description: &str) -> String {
    if description.is_empty() {
        tag.to_owned()
    } else {
        format!("{description} ({tag})")
    }
}

/// The security schemes, each with an anchor the routes link to.
fn authentication(h: &mut String, doc: &Value) {
    h.push_str("<section aria-labelledby=\"auth\">\n<h2 id=\"auth\">Authentication</h2>\n<dl>\n");
    let schemes = &doc["components"]["securitySchemes"];
    for (name, scheme) in schemes.as_object().into_iter().flatten() {
        let _ = writeln!(
            h,
            "<dt id=\"scheme-{}\"><code>{}</code>: {}</dt><dd>{}</dd>",
            slug(name),
            escape(name),
            escape(&operation::credential(scheme)),
            prose(scheme["description"].as_str().unwrap_or_default())
        );
    }
    h.push_str("</dl>\n</section>\n");
}

/// Every named schema (bodies, answers, the error body) with its fields and an example.
fn schemas(h: &mut String, doc: &Value) {
    h.push_str("<section aria-labelledby=\"schemas\">\n<h2 id=\"schemas\">Schemas</h2>\n");
    for (name, schema) in doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let _ = writeln!(h, "<h3 id=\"schema-{}\">{}</h3>", slug(name), escape(name));
        if let Some(text) = schema["description"].as_str() {
            let _ = writeln!(h, "<p>{}</p>", prose(text));
        }
        operation::field_table(h, doc, schema);
        operation::example_block(h, doc, schema, &Value::Null);
    }
    h.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn everything_from_the_document_is_escaped() {
        let evil = "\"><script>alert(1)</script><img src=x onerror=alert(2)>";
        let doc = json!({
            "info": {"title": evil, "description": evil, "version": evil},
            "tags": [{"name": evil, "description": evil}],
            "paths": {format!("/api/{evil}"): {"post": {
                "tags": [evil], "summary": evil, "description": format!("`{evil}`"),
                "parameters": [{"name": evil, "in": "path", "description": evil,
                                "schema": {"type": evil}}],
                "requestBody": {"description": evil, "content": {"application/json": {
                    "schema": {"$ref": format!("#/components/schemas/{evil}")}}}},
                "responses": {"200": {"description": evil, "content": {"text/html": {
                    "schema": {"$ref": format!("#/components/schemas/{evil}")},
                    "example": evil}}}},
                "security": [{evil: []}],
                "x-codeSamples": [{"label": evil, "lang": evil, "source": evil}]
            }}},
            "components": {
                "schemas": {evil: {"type": "object", "description": evil,
                                   "properties": {evil: {"type": "string", "description": evil}}}},
                "securitySchemes": {evil: {"type": "apiKey", "in": "query", "name": evil,
                                           "description": evil}}
            }
        });
        let html = super::render(&doc, 8000);
        for raw in ["<script", "<img", "=\"\"><"] {
            assert!(!html.contains(raw), "{raw} unescaped");
        }
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("<code>&quot;&gt;&lt;script&gt;"), "code span");
        // Fragment ids are plain.
        for (i, _) in html.match_indices(" id=\"") {
            let id = &html[i + 5..];
            let id = &id[..id.find('"').unwrap()];
            assert!(
                id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "{id}"
            );
        }
    }
}
