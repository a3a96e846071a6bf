//! The OpenAPI 3.1 document, generated from the handlers' annotations. Every `/api/...`
//! path is listed again under `/api/v1/...`, as the router serves both.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::routes;

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
        routes::health,
        routes::openapi_json,
    ),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Session tokens"),
        (name = "token", description = "The master token"),
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
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                super::auth::SESSION_COOKIE,
            ))),
        );
    }
}

/// The document as served at `/api/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = crate::VERSION.to_owned();
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

#[cfg(test)]
mod tests {
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
