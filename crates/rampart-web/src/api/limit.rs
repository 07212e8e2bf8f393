//! Request-rate limit for the API: a GCRA limiter (governor) per caller,
//! keyed by the digest of the bearer token, or by the client address for
//! anonymous calls. Over the limit: 429 `rate_limited` with `Retry-After`.
//!
//! In-process only: with several instances each enforces its own budget.
//! (Brute-force defence for sign-in has its own, stricter rules.)

use super::error::ApiError;
use crate::extract::client::client_ip;
use crate::settings::WebSettings;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rampart_crypto::TokenDigest;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The limiter shared by all API requests.
pub struct ApiLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
    settings: Arc<WebSettings>,
    calls: AtomicU64,
    telemetry: Arc<crate::telemetry::Telemetry>,
    shared: Arc<rampart_core::rate::RateLimits>,
    per_second: NonZeroU32,
    burst: NonZeroU32,
}

impl ApiLimiter {
    /// `per_second` sustained calls per caller, bursts up to `burst`.
    pub fn new(
        per_second: NonZeroU32,
        burst: NonZeroU32,
        settings: Arc<WebSettings>,
        telemetry: Arc<crate::telemetry::Telemetry>,
        shared: Arc<rampart_core::rate::RateLimits>,
    ) -> Self {
        Self {
            limiter: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)),
            settings,
            calls: AtomicU64::new(0),
            telemetry,
            shared,
            per_second,
            burst,
        }
    }

    fn key(&self, req: &Request) -> String {
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        if let Some(token) = bearer {
            return format!("t:{}", TokenDigest::of(token).to_hex());
        }
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        match client_ip(peer, req.headers(), &self.settings.trusted_proxies) {
            Some(ip) => format!("ip:{ip}"),
            None => "ip:unknown".to_owned(),
        }
    }
}

/// Refuses calls over the caller's budget.
fn too_many(seconds: u64) -> Response {
    let mut response = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("Too many requests; retry in {} second(s).", seconds.max(1)),
    )
    .into_response();
    if let Ok(value) = HeaderValue::from_str(&seconds.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Refuses calls over the caller's budget: first this instance's limiter
/// (no I/O), then the budget every instance shares in the database.
pub async fn limit(limiter: Arc<ApiLimiter>, req: Request, next: Next) -> Response {
    let key = limiter.key(&req);
    if let Err(not_until) = limiter.limiter.check_key(&key) {
        limiter.telemetry.rate_limited("api");
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        return too_many(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
    }
    match limiter
        .shared
        .api_call(&key, limiter.per_second.get(), limiter.burst.get())
        .await
    {
        Ok(()) => {}
        Err(rampart_core::rate::RateError::Limited(rampart_core::rate::Limited(wait))) => {
            limiter.telemetry.rate_limited("api");
            return too_many(u64::try_from(wait.whole_seconds()).unwrap_or(1));
        }
        Err(rampart_core::rate::RateError::Store(err)) => {
            // The local limiter still holds; the request goes on.
            tracing::warn!(error = %err, "the shared API rate limit could not be checked");
        }
    }
    // Forget idle callers now and then so the key map stays small.
    if limiter
        .calls
        .fetch_add(1, Ordering::Relaxed)
        .is_multiple_of(10_000)
    {
        limiter.limiter.retain_recent();
    }
    next.run(req).await
}
