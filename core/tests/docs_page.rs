//! `GET /docs` over real HTTP: a page, with the landing page's headers, that names every
//! (method, path) of `/api/openapi.json` (the page is parsed and the sets compared), shows
//! the seed's examples and every status code, loads nothing from anywhere but this server,
//! and answers HEAD and a wrong Host as the landing page does.

mod common;

use std::collections::BTreeSet;

use common::{TestServer, assert_security_headers, client, get_request, raw};
use serde_json::Value;

const METHODS: [&str; 8] = [
    "get", "post", "put", "patch", "delete", "head", "options", "trace",
];

/// The page's text for `html`: tags dropped, entities decoded.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The inner HTML of every element that opens with `open` (up to its `close`).
fn elements<'a>(html: &'a str, open: &str, close: &str) -> Vec<&'a str> {
    html.match_indices(open)
        .map(|(i, _)| {
            let start = i + open.len();
            let end = html[start..].find(close).expect("element closed");
            &html[start..start + end]
        })
        .collect()
}

/// Every (METHOD, path) the page names in a `<code class="route">`.
fn routes_on_page(html: &str) -> BTreeSet<(String, String)> {
    elements(html, "<code class=\"route\">", "</code>")
        .into_iter()
        .map(|inner| {
            let t = text(inner);
            let (method, path) = t.split_once(' ').expect("METHOD /path");
            (method.to_owned(), path.to_owned())
        })
        .collect()
}

/// Every (METHOD, path) in the OpenAPI document.
fn routes_in(doc: &Value) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            if item[m].is_object() {
                routes.insert((m.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    routes
}

async fn get(server: &TestServer, path: &str) -> (reqwest::header::HeaderMap, String) {
    let res = client()
        .get(server.url(path))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200, "{path}");
    let headers = res.headers().clone();
    (headers, res.text().await.expect("body"))
}

#[tokio::test]
async fn the_docs_page_lists_every_route_of_the_openapi_document() {
    let server = TestServer::start().await;
    let (headers, html) = get(&server, "/docs").await;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert!(
        header("content-type").is_some_and(|c| c.starts_with("text/html")),
        "{headers:?}"
    );
    assert_security_headers("/docs", header);

    let (_, doc) = get(&server, "/api/openapi.json").await;
    let doc: Value = serde_json::from_str(&doc).expect("JSON");
    let want = routes_in(&doc);
    assert!(want.len() >= 30, "{want:?}");
    assert_eq!(routes_on_page(&html), want);

    // One section per operation, headed by its route; each lists every status code the
    // document gives it, and every heading is in the table of contents.
    let sections = html
        .split("<section class=\"op\"")
        .skip(1)
        .collect::<Vec<_>>();
    assert_eq!(
        sections.len() * 2,
        want.len(),
        "one section per /api and /api/v1 pair"
    );
    for section in sections {
        let heading = elements(section, "<h3 id=\"", "</h3>")[0];
        let (id, route) = heading.split_once("\">").expect("h3 with an id");
        assert!(
            html.contains(&format!("<a href=\"#{id}\">")),
            "{id} in the contents"
        );
        let t = text(route);
        let (method, path) = t.split_once(' ').unwrap();
        let op = &doc["paths"][path][method.to_ascii_lowercase()];
        for status in op["responses"].as_object().expect("responses").keys() {
            assert!(
                section.contains(&format!("<strong>{status}</strong>")),
                "{t}: status {status}"
            );
        }
        assert!(section.contains("<h4>Examples</h4>"), "{t}");
    }
    assert!(html.contains("<a class=\"skip\" href=\"#content\">"));
    assert!(html.contains("<main id=\"content\""));
}

#[tokio::test]
async fn the_docs_page_shows_the_seed_examples_with_this_servers_port() {
    let server = TestServer::start().await;
    let (_, html) = get(&server, "/docs").await;
    let page = text(&html);
    let url = format!("http://localhost:{}/api/auth/session", server.port);
    for line in [
        format!("curl -X POST \"{url}\" \\\n  -H \"Authorization: Bearer <token>\""),
        "-H \"Content-Type: application/json\" \\\n  -H \"Authorization: Bearer <token>\""
            .to_owned(),
        format!("const response = await fetch(\"{url}\", {{"),
        "const data = await response.json();".to_owned(),
        format!("response = requests.post(\n    \"{url}\","),
        "headers={'Content-Type':'application/json','Authorization':'Bearer <token>'},".to_owned(),
        format!("req, _ := http.NewRequest(\"POST\", \"{url}\", nil)"),
        "req.Header.Set(\"Authorization\", \"Bearer <token>\")".to_owned(),
        "\"session_token\": \"session:1705312200:a1b2c3d4e5f6...\"".to_owned(),
        "\"expires_in_hours\": 24".to_owned(),
        "\"detail\": \"Invalid master token\"".to_owned(),
    ] {
        assert!(page.contains(&line), "the page lacks {line:?}");
    }
    for caption in ["curl", "JavaScript", "Python", "Go"] {
        assert!(
            html.contains(&format!("<figcaption>{caption}</figcaption>")),
            "{caption}"
        );
    }
    // A route with no example of its own gets a curl command built from the document.
    assert!(
        page.contains(&format!(
            "curl -X POST \"http://localhost:{}/api/auth/request/<request_id>\"",
            server.port
        )),
        "generated curl"
    );
}

#[tokio::test]
async fn the_docs_page_loads_nothing_from_elsewhere() {
    let server = TestServer::start().await;
    let (headers, html) = get(&server, "/docs").await;
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("default-src 'none';"), "{csp}");
    let lower = html.to_ascii_lowercase();
    let mut links = 0;
    for attr in ["src=", "href=", "action=", "srcset=", "poster=", "data="] {
        for (i, _) in lower.match_indices(&format!(" {attr}")) {
            let value = &html[i + attr.len() + 1..];
            let value = value.trim_start_matches(['"', '\'']);
            assert!(
                value.starts_with('/') && !value.starts_with("//") || value.starts_with('#'),
                "{attr} points elsewhere: {}",
                &value[..value.len().min(60)]
            );
            links += 1;
        }
    }
    assert!(links > 30, "{links} links");
    assert!(!lower.contains("<script"), "the page needs no script");
    assert!(
        !lower.contains(" style="),
        "no inline style (the CSP forbids it)"
    );
    for sheet in elements(&html, "<link rel=\"stylesheet\" href=\"", "\"") {
        let (_, css) = get(&server, sheet).await;
        assert!(!css.contains("url(") && !css.contains("@import"), "{sheet}");
    }
}

#[tokio::test]
async fn head_and_a_wrong_host_are_answered_as_for_the_landing_page() {
    let server = TestServer::start().await;
    let host = server.host();
    for path in ["/", "/docs"] {
        let res = client().head(server.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "HEAD {path}");
        let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with("text/html"), "HEAD {path}: {ct}");
        assert_security_headers(&format!("HEAD {path}"), |n| {
            res.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });
        assert_eq!(res.text().await.unwrap(), "", "HEAD {path}: no body");
    }
    for bad in [Some("evil.com"), Some("localhost:1"), None, Some("")] {
        let landing = raw(server.addr, &get_request("/", bad, &[])).await;
        let docs = raw(server.addr, &get_request("/docs", bad, &[])).await;
        assert_eq!(docs.status, landing.status, "Host {bad:?}");
        assert!(docs.status == 403 || docs.status == 400, "Host {bad:?}");
        assert_eq!(docs.text(), landing.text(), "Host {bad:?}");
    }
    let ok = raw(server.addr, &get_request("/docs", Some(&host), &[])).await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn the_landing_page_and_the_help_link_to_the_docs() {
    let server = TestServer::start().await;
    let (_, landing) = get(&server, "/").await;
    assert!(landing.contains("<a href=\"/docs\">"), "{landing}");
    assert!(
        pawkey_core::cli::AFTER_HELP.contains("http://localhost:8000/docs"),
        "pawkeyd --help names the docs page"
    );
}
