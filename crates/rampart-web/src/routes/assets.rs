//! The one stylesheet and the one script (passkeys), built into the binary
//! (no external assets, so the CSP can stay `'self'`).

use crate::state::AppState;
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

const CSS: &str = include_str!("../../static/rampart.css");
const PASSKEY_JS: &str = include_str!("../../static/passkey.js");

/// The asset routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/rampart.css", get(stylesheet))
        .route("/static/passkey.js", get(script))
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        PASSKEY_JS,
    )
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
