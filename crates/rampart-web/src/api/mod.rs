//! The JSON API under `/api/v1`: bearer authentication only (session tokens
//! from `POST /sessions` or personal access tokens; cookies are never read,
//! so there is no CSRF to defend), JSON bodies, and one error format
//! (`{"error": {"code", "message", "details"?}}`) for every failure including
//! 404, 405, 413 and 415.
//!
//! Routes and their OpenAPI entries are registered together through
//! `utoipa_axum::routes!`, so the served document cannot list a route that
//! does not exist or miss one that does.

pub mod admin;
pub mod admin_users;
pub mod domain_errors;
pub mod error;
pub mod extract;
pub mod limit;
pub mod me;
pub mod mfa;
pub mod passkeys;
pub mod recovery;
pub mod refusal;
pub mod schema;
pub mod sessions;
pub mod tokens;
pub mod users;

use crate::state::AppState;
use axum::Json;
use axum::Router;
use axum::http::header;
use axum::middleware::from_fn;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use error::{ApiError, ErrorBody};
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Where the API is mounted.
pub const PREFIX: &str = "/api/v1";

#[derive(OpenApi)]
#[openapi(
    info(title = "Rampart API", version = "1", description = "Accounts, sessions and personal access tokens. Authenticate with `Authorization: Bearer TOKEN`."),
    servers((url = "/api/v1")),
    modifiers(&BearerScheme),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every operation can answer 429: the rate limit applies to all of them.
fn document_rate_limit(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let response = ResponseBuilder::new()
        .description("rate_limited: too many requests; see Retry-After")
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build();
    for item in doc.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            operation
                .responses
                .responses
                .insert("429".to_owned(), response.clone().into());
        }
    }
}

/// The API routes and their OpenAPI document.
pub fn router(
    limiter: Arc<limit::ApiLimiter>,
    state: AppState,
) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(users::create_user))
        .routes(routes!(sessions::create_session))
        .routes(routes!(sessions::delete_current_session))
        .routes(routes!(me::get_me))
        .routes(routes!(me::change_password))
        .routes(routes!(me::list_sessions, me::delete_other_sessions))
        .routes(routes!(me::delete_session))
        .routes(routes!(mfa::begin_totp, mfa::disable_totp))
        .routes(routes!(mfa::confirm_totp))
        .routes(routes!(mfa::regenerate_codes))
        .routes(routes!(tokens::create_token, tokens::list_tokens))
        .routes(routes!(tokens::delete_token))
        .routes(routes!(passkeys::list_passkeys))
        .routes(routes!(passkeys::delete_passkey))
        .routes(routes!(admin::list_events))
        .routes(routes!(admin_users::list_users))
        .routes(routes!(
            admin_users::get_user,
            admin_users::update_user,
            admin_users::delete_user
        ))
        .routes(routes!(admin_users::delete_user_sessions))
        .routes(routes!(admin_users::delete_all_sessions))
        .routes(routes!(admin_users::reset_user_mfa))
        .routes(routes!(admin_users::send_user_password_reset))
        .routes(routes!(recovery::request_reset))
        .routes(routes!(recovery::confirm_reset))
        .split_for_parts();
    let mut doc = doc;
    document_rate_limit(&mut doc);
    refusal::document(&mut doc);
    schema::set_password_minimum(&mut doc, state.accounts.policy().min_length);
    let served = doc.clone();
    let router = router
        .route(
            "/openapi.json",
            get(move || {
                let doc = served.clone();
                async move { Json(doc) }
            }),
        )
        .fallback(|| async { ApiError::not_found("There is no API route at this address.") })
        .layer(from_fn(move |req, next| {
            limit::limit(limiter.clone(), state.clone(), req, next)
        }));
    (router, doc)
}

/// True for a path under [`PREFIX`].
pub fn is_api_path(path: &str) -> bool {
    path.strip_prefix(PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Gives a bare error response (no body type: the router's 405, a timeout, a
/// panic) the API's JSON error format; other responses pass unchanged. The
/// error-page layer calls it for every response under [`PREFIX`].
pub fn bare_error_as_json(response: Response) -> Response {
    let status = response.status();
    if (status.is_client_error() || status.is_server_error())
        && !response.headers().contains_key(header::CONTENT_TYPE)
    {
        let (parts, _) = response.into_parts();
        let mut fresh = ApiError::from_status(status).into_response();
        for (name, value) in parts.headers.iter() {
            if name != header::CONTENT_LENGTH {
                fresh.headers_mut().insert(name.clone(), value.clone());
            }
        }
        return fresh;
    }
    response
}
