//! The baseline for `bench/run.sh`: a bare axum handler answering `ok`, on the
//! same runtime configuration as Rampart, so `/auth/verify` can be compared
//! with the cheapest possible HTTP answer on this machine.
//! Run: `cargo run --release -p rampart-web --example bare_handler -- 127.0.0.1:18081`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::routing::get;

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18081".to_owned());
    let app = Router::new().route("/", get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind(&addr).await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
