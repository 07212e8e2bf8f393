//! Request-rate limit for the API: a GCRA limiter (governor) per caller,
//! keyed by the verified caller (the account behind a valid bearer token),
//! or by the client address for anonymous calls and for bearer values that
//! are unknown, so made-up tokens neither escape the limit nor write a
//! budget row each. Over the limit: 429 `rate_limited` with `Retry-After`.
//!
//! The caller resolved here (from the session and token caches) is kept in
//! the request, so the route's extractor does not resolve it again.
//!
//! In-process only: with several instances each enforces its own budget.
//! (Brute-force defence for sign-in has its own, stricter rules.)

use super::error::{ApiError, ErrorCode};
use super::extract::{ApiCaller, caller_for};
use crate::extract::client::client_ip;
use crate::settings::WebSettings;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The caller the limiter resolved, for the route's extractor.
#[derive(Clone)]
pub struct Resolved(pub ApiCaller);

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

    /// The budget key of a request: `u:` and the account id for a verified
    /// caller (whose resolution is stored in the request), else `ip:`.
    async fn key(&self, state: &AppState, req: &mut Request) -> String {
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim().to_owned());
        if let Some(token) = bearer
            && let Ok(Some(caller)) = caller_for(state, &token).await
        {
            let key = format!("u:{}", caller.user.id);
            req.extensions_mut().insert(Resolved(caller));
            return key;
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
        ErrorCode::RateLimited,
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
pub async fn limit(
    limiter: Arc<ApiLimiter>,
    state: AppState,
    mut req: Request,
    next: Next,
) -> Response {
    let key = limiter.key(&state, &mut req).await;
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
