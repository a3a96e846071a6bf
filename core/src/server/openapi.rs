//! The OpenAPI 3.1 document, generated from the handlers' annotations. Every `/api/...`
//! path is listed again under `/api/v1/...`, as the router serves both.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use axum::Json;
use axum::extract::State;

use super::routes;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "PawKey",
        description = "PawKey's embedded server: exchange the PocketPaw master token for time-limited session tokens."
    ),
    paths(
        routes::create_session,
        routes::verify,
        routes::login,
        routes::logout,
        routes::regenerate,
        routes::import,
        routes::health,
        openapi_json,
        super::qr::qr,
        super::access::open,
        super::access::poll,
        super::access::list,
        super::access::approve,
        super::access::deny,
        super::access::deny_all,
    ),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Session tokens"),
        (name = "token", description = "The master token"),
        (name = "pairing", description = "Pairing a phone with PocketPaw's dashboard"),
        (name = "approval", description = "Access requests: a browser asks, a person approves in PawKey"),
        (name = "meta", description = "Server information"),
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "master_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The PocketPaw master access token"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A session token from POST /api/auth/session"))
                    .build(),
            ),
        );
        // A credential, not a plain parameter: a valid `?token=` opens the route by itself.
        components.add_security_scheme(
            "session_query",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "token",
                "A session token in the URL, for links; the header or the cookie keep it out of logs and history",
            ))),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                super::auth::SESSION_COOKIE,
            ))),
        );
    }
}

/// This document: every route, in OpenAPI 3.1.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 description of every route", content_type = "application/json"))
)]
pub async fn openapi_json(State(state): State<AppState>) -> Json<utoipa::openapi::OpenApi> {
    Json(document_for(state.config().ttl_hours))
}

/// The document as served at `/api/openapi.json` by a server whose `ttl_hours` is
/// `max_ttl_hours`: a requested lifetime above it is refused, so the schema says so.
pub fn document_for(max_ttl_hours: u32) -> utoipa::openapi::OpenApi {
    let mut doc = document();
    // Every body that asks for a lifetime: a session, an access request, an approval.
    for name in ["SessionRequest", "AccessRequest", "ApproveRequest"] {
        let request = doc
            .components
            .as_mut()
            .and_then(|c| c.schemas.get_mut(name));
        if let Some(RefOr::T(Schema::Object(request))) = request {
            if let Some(RefOr::T(Schema::Object(ttl))) = request.properties.get_mut("ttl_hours") {
                ttl.maximum = Some(max_ttl_hours.into());
            }
        }
    }
    doc
}

/// The document with the largest `ttl_hours` PawKey allows.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = crate::VERSION.to_owned();
    optional_bodies_are_objects(&mut doc);
    add_code_samples(&mut doc);
    let v1: Vec<_> = doc
        .paths
        .paths
        .iter()
        .filter_map(|(path, item)| {
            path.strip_prefix("/api/")
                .map(|rest| (format!("/api/v1/{rest}"), item.clone()))
        })
        .collect();
    doc.paths.paths.extend(v1);
    doc
}

/// The API page's examples for `POST /api/auth/session`, as (label, language, source):
/// the same request in curl (without and with `Content-Type`), JavaScript, Python and Go.
const SESSION_SAMPLES: [(&str, &str, &str); 5] = [
    (
        "curl",
        "shell",
        include_str!("../../assets/samples/session.sh"),
    ),
    (
        "curl with Content-Type",
        "shell",
        include_str!("../../assets/samples/session-json.sh"),
    ),
    (
        "JavaScript",
        "javascript",
        include_str!("../../assets/samples/session.js"),
    ),
    (
        "Python",
        "python",
        include_str!("../../assets/samples/session.py"),
    ),
    ("Go", "go", include_str!("../../assets/samples/session.go")),
];

/// Adds the request examples as `x-codeSamples` (the extension Redoc and others read), so
/// `/docs` and any other OpenAPI viewer show them.
fn add_code_samples(doc: &mut utoipa::openapi::OpenApi) {
    let Some(op) = doc
        .paths
        .paths
        .get_mut("/api/auth/session")
        .and_then(|item| item.post.as_mut())
    else {
        return;
    };
    let samples: Vec<_> = SESSION_SAMPLES
        .iter()
        .map(|(label, lang, source)| {
            serde_json::json!({ "label": label, "lang": lang, "source": source.trim_end() })
        })
        .collect();
    op.extensions
        .get_or_insert_with(Default::default)
        .insert("x-codeSamples".to_owned(), samples.into());
}

/// utoipa documents an optional body (`Option<T>`) as `T` or JSON `null`; the server takes
/// an object or no body at all and refuses `null`, so the `null` alternative is dropped
/// (the body stays optional: `required` is not set).
fn optional_bodies_are_objects(doc: &mut utoipa::openapi::OpenApi) {
    let is_null = |s: &RefOr<Schema>| {
        serde_json::to_value(s).ok() == Some(serde_json::json!({ "type": "null" }))
    };
    for item in doc.paths.paths.values_mut() {
        let Some(RefOr::T(body)) = item.post.as_mut().and_then(|op| op.request_body.as_mut())
        else {
            continue;
        };
        for content in body.content.values_mut() {
            let RefOr::T(content) = content else { continue };
            if let Some(RefOr::T(Schema::OneOf(one))) = &content.schema {
                if let [a, b] = one.items.as_slice() {
                    let object = if is_null(b) {
                        Some(a)
                    } else {
                        is_null(a).then_some(b)
                    };
                    content.schema = object.cloned().or(content.schema.take());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn optional_session_body_is_an_object_up_to_the_configured_ttl() {
        let doc = serde_json::to_value(super::document_for(24)).unwrap();
        let body = &doc["paths"]["/api/v1/auth/session"]["post"]["requestBody"];
        assert_eq!(body["required"], serde_json::Value::Null, "{body}");
        assert_eq!(
            body["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/SessionRequest",
            "{body}"
        );
        let ttl = &doc["components"]["schemas"]["SessionRequest"]["properties"]["ttl_hours"];
        assert_eq!(ttl["maximum"], 24, "{ttl}");
        assert_eq!(ttl["minimum"], 1, "{ttl}");
    }

    #[test]
    fn query_token_is_a_credential_of_verify() {
        let doc = serde_json::to_value(super::document()).unwrap();
        let scheme = &doc["components"]["securitySchemes"]["session_query"];
        assert_eq!(scheme["type"], "apiKey", "{scheme}");
        assert_eq!(scheme["in"], "query", "{scheme}");
        assert_eq!(scheme["name"], "token", "{scheme}");
        let verify = &doc["paths"]["/api/auth/verify"]["get"];
        let security = verify["security"].to_string();
        for name in ["session_token", "session_query", "session_cookie"] {
            assert!(security.contains(name), "{security}");
        }
        assert!(verify["parameters"].is_null(), "{verify}");
    }

    #[test]
    fn every_route_behind_the_master_token_documents_the_shared_refusals() {
        let doc = serde_json::to_value(super::document()).unwrap();
        for (method, path) in [
            ("post", "/api/auth/session"),
            ("post", "/api/token/regenerate"),
            ("post", "/api/token/import"),
            ("get", "/api/auth/requests"),
            ("post", "/api/auth/requests/{user_code}/approve"),
            ("post", "/api/auth/requests/{request}/deny"),
            ("post", "/api/auth/requests/deny-all"),
        ] {
            let responses = &doc["paths"][path][method]["responses"];
            let unauthorized = &responses["401"];
            assert_eq!(
                unauthorized["description"], "Missing or wrong master token",
                "{path}"
            );
            assert_eq!(
                unauthorized["content"]["application/json"]["example"]["detail"],
                "Invalid master token",
                "{path}"
            );
            assert_eq!(
                unauthorized["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorBody",
                "{path}"
            );
            assert_eq!(
                responses["429"]["description"], "Too many failed attempts from this client",
                "{path}"
            );
        }
    }

    #[test]
    fn every_route_is_documented_under_both_prefixes() {
        let doc = super::document();
        let json = serde_json::to_value(&doc).unwrap();
        assert_eq!(json["openapi"], "3.1.0");
        for p in [
            "auth/session",
            "auth/verify",
            "auth/login",
            "auth/logout",
            "token/regenerate",
            "health",
            "openapi.json",
        ] {
            assert!(json["paths"][format!("/api/{p}")].is_object(), "/api/{p}");
            assert!(
                json["paths"][format!("/api/v1/{p}")].is_object(),
                "/api/v1/{p}"
            );
        }
    }
}
