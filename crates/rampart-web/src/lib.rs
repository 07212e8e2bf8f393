//! Rampart's HTTP surface (axum): the server-rendered browser flows, health
//! and static assets, with the cross-cutting layers every response passes
//! through (sessions, CSRF, security headers, error pages, tracing).
//!
//! Handlers are thin: extract, call one domain service, render or redirect.
//! The rules live in `rampart-core`; errors become HTTP in [`error`] alone.
//! Deny by default: every page route is CSRF-checked, and every route outside
//! [`routes::public`] requires a signed-in session.

pub mod api;
pub mod charts;
pub mod cookies;
pub mod error;
pub mod extract;
pub use rampart_i18n as i18n;
pub mod middleware;
pub mod next;
pub mod render;
pub mod routes;
pub mod settings;
pub mod signin;
pub mod state;
pub mod telemetry;

pub use render::Templates;
pub use settings::WebSettings;
pub use state::{AppServices, AppState, Readiness};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::from_fn_with_state;
use middleware::around::AroundLayer;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::{
    SetSensitiveRequestHeadersLayer, SetSensitiveResponseHeadersLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// CORS for the API only: the configured origins, bearer tokens (no
/// cookies, so no credentials mode), the API's methods.
fn api_cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(Duration::from_secs(600))
}

/// The complete application router.
pub fn router(state: AppState) -> Router {
    let body_limit = state.settings.form_body_limit;
    let pages = routes::public()
        .merge(routes::protected().route_layer(from_fn_with_state(
            state.clone(),
            middleware::auth::require_sign_in,
        )))
        // Inside the session layer, so the 404 page's header knows who is
        // signed in (the API has its own).
        .fallback(routes::not_found)
        // The session, then the CSRF check inside it.
        .layer(from_fn_with_state(
            state.clone(),
            middleware::session::load_session,
        ));
    let limiter = Arc::new(api::limit::ApiLimiter::new(
        state.settings.api_rate_per_second,
        state.settings.api_burst,
        state.settings.clone(),
        state.telemetry.clone(),
        state.limits.clone(),
    ));
    let (mut api, _) = api::router(limiter, state.clone());
    if !state.settings.cors_origins.is_empty() {
        api = api.layer(api_cors(&state.settings.cors_origins));
    }
    Router::new()
        .merge(pages)
        .nest(api::PREFIX, api)
        .merge(routes::unauthenticated())
        // One stack, outermost first, applied in one `layer` call: axum
        // boxes a route once per `layer` call and clones every box of the
        // chain for each request, so twelve calls cost twelve allocations a
        // request where one stack costs one (docs/benchmarks.md, #20).
        .layer(
            ServiceBuilder::new()
                .layer(SetSensitiveRequestHeadersLayer::new([
                    header::COOKIE,
                    header::AUTHORIZATION,
                    header::PROXY_AUTHORIZATION,
                ]))
                .layer(SetSensitiveResponseHeadersLayer::new([header::SET_COOKIE]))
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(middleware::trace::make_span as fn(&_) -> _)
                        .on_request(())
                        .on_response(DefaultOnResponse::new().level(Level::DEBUG)),
                )
                // The last resort, for a panic in the layers below.
                .layer(CatchPanicLayer::custom(middleware::errors::panic_response))
                .layer(DefaultBodyLimit::max(body_limit))
                .layer(middleware::headers::layer(state.settings.https))
                .layer(AroundLayer(middleware::errors::ErrorPages(state.clone())))
                // Timeouts and panics inside the error layer, so they are
                // answered as a page, or in the API's JSON format under
                // /api/v1.
                .layer(CatchPanicLayer::custom(middleware::errors::panic_response))
                .layer(TimeoutLayer::with_status_code(
                    axum::http::StatusCode::REQUEST_TIMEOUT,
                    state.settings.request_timeout,
                ))
                .layer(AroundLayer(telemetry::Measure(state.clone()))),
        )
        // Forward-auth sits in front of every request of every protected app,
        // so it skips the page layers (request ids, per-request spans, timers,
        // security headers for a body no browser sees): proxies read only its
        // status and Remote-* headers. It changes no state and reads its own
        // credentials.
        .merge(
            routes::forward_auth::router()
                .layer(CatchPanicLayer::custom(middleware::errors::panic_response)),
        )
        .with_state(state)
}
