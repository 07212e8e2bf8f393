//! `GET /healthz`: 200 `ok` once the database is reachable and migrated,
//! 503 otherwise, for load balancers and orchestrators; and `GET /metrics`
//! (see [`crate::telemetry`]).

use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

/// The health route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(crate::telemetry::metrics))
}

async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.readiness.ready().await {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}
