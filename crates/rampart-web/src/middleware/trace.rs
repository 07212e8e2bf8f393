//! Request tracing: one span per request with method, path (never the query
//! string, which may carry a token) and the request id; one line per response
//! at debug level. Cookie and Authorization headers are marked sensitive by
//! the router, so they are never printed.

use axum::body::Body;
use axum::http::Request;

/// The span of one request.
pub fn make_span(req: &Request<Body>) -> tracing::Span {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id)
}
