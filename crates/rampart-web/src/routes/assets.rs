//! The one stylesheet, built into the binary (no external assets, so the CSP
//! can stay `'self'`).

use crate::state::AppState;
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

const CSS: &str = include_str!("../../static/rampart.css");

/// The asset routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/static/rampart.css", get(stylesheet))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
}
