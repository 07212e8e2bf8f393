//! `/metrics`: Prometheus text from a recorder owned by this application
//! (`metrics-exporter-prometheus`, not a process-global one, so several
//! instances in one process — the tests — keep their own counts).
//!
//! What is counted: security events by type and outcome (sign-ins by outcome
//! among them, fed by the audit trail), API rate-limit rejections, request
//! latency by route; read at scrape time: active sessions, queued mail, the
//! password hashing pool's load and waits.
//!
//! Access: from loopback without a forwarding header, or with
//! `Authorization: Bearer <metrics.token>` (compared in constant time).
//! Everyone else gets 404, as if there were nothing here.

use crate::extract::client::client_ip;
use crate::middleware::around::Around;
use crate::state::AppState;
use async_trait::async_trait;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics::{Histogram, Key, Label, Level, Metadata, Recorder};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use rampart_core::Outcome;
use rampart_core::audit::EventObserver;
use rampart_crypto::constant_time_eq;
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::RwLock;
use std::time::Instant;

const META: Metadata<'static> = Metadata::new("rampart", Level::INFO, None);

/// Counts read from the database at scrape time.
#[async_trait]
pub trait StoredCounts: Send + Sync + 'static {
    /// Sessions not yet expired.
    async fn active_sessions(&self) -> Option<i64>;
    /// Mails waiting in the outbox.
    async fn queued_mail(&self) -> Option<i64>;
}

/// This application's metrics.
pub struct Telemetry {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    token: Option<SecretString>,
    /// The latency histograms, by route, method and status, once
    /// registered: a request records into its own without building and
    /// hashing the labels again. Bounded: routes are the router's templates
    /// (and `unmatched`), methods the standard ones (and `OTHER`).
    latencies: RwLock<HashMap<String, Vec<Latency>>>,
}

/// One route's latency histogram for a method and status.
type Latency = (&'static str, u16, Histogram);

impl Telemetry {
    /// A fresh registry; `token` lets remote scrapers in.
    pub fn new(token: Option<SecretString>) -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&[
                0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ])
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        Self {
            recorder,
            handle,
            token,
            latencies: RwLock::default(),
        }
    }

    fn counter(&self, name: &'static str, labels: Vec<Label>, by: u64) {
        self.recorder
            .register_counter(&Key::from_parts(name, labels), &META)
            .increment(by);
    }

    /// Sets a gauge (also for values the server reads, such as the TLS
    /// certificate's expiry).
    pub fn gauge(&self, name: &'static str, value: f64) {
        self.recorder
            .register_gauge(&Key::from_name(name), &META)
            .set(value);
    }

    /// Sets a counter to a running total kept elsewhere.
    pub fn total(&self, name: &'static str, value: u64) {
        self.recorder
            .register_counter(&Key::from_name(name), &META)
            .absolute(value);
    }

    /// An API call refused by the rate limiter.
    pub fn rate_limited(&self, scope: &'static str) {
        self.counter(
            "rampart_rate_limited_total",
            vec![Label::new("scope", scope)],
            1,
        );
    }

    fn request(&self, route: &str, method: &'static str, status: u16, seconds: f64) {
        let known = |kept: &[Latency]| {
            kept.iter()
                .find(|(m, s, _)| *m == method && *s == status)
                .map(|(_, _, histogram)| histogram.clone())
        };
        let kept = self
            .latencies
            .read()
            .ok()
            .and_then(|latencies| latencies.get(route).and_then(|kept| known(kept)));
        let histogram = kept.unwrap_or_else(|| {
            let histogram = self.recorder.register_histogram(
                &Key::from_parts(
                    "rampart_http_request_duration_seconds",
                    vec![
                        Label::new("route", route.to_owned()),
                        Label::new("method", method),
                        Label::new("status", status.to_string()),
                    ],
                ),
                &META,
            );
            if let Ok(mut latencies) = self.latencies.write() {
                let kept = latencies.entry(route.to_owned()).or_default();
                if known(kept).is_none() {
                    kept.push((method, status, histogram.clone()));
                }
            }
            histogram
        });
        histogram.record(seconds);
    }

    fn allows(&self, headers: &HeaderMap, loopback_unforwarded: bool) -> bool {
        if let Some(token) = &self.token {
            let presented = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("");
            if !presented.is_empty()
                && constant_time_eq(presented.as_bytes(), token.expose_secret().as_bytes())
            {
                return true;
            }
        }
        loopback_unforwarded
    }
}

impl EventObserver for Telemetry {
    fn observed(&self, kind: &str, outcome: Outcome) {
        self.counter(
            "rampart_security_events_total",
            vec![
                Label::new("type", kind.to_owned()),
                Label::new("outcome", outcome.as_str()),
            ],
            1,
        );
        let login = match kind {
            "login.succeeded" => Some("succeeded"),
            "login.failed" => Some("failed"),
            "login.throttled" => Some("throttled"),
            "mfa.failed" => Some("mfa_failed"),
            _ => None,
        };
        if let Some(result) = login {
            self.counter(
                "rampart_logins_total",
                vec![Label::new("outcome", result)],
                1,
            );
        }
        if kind == "login.throttled" {
            self.rate_limited("login");
        }
    }
}

/// Times every routed request by its route template (not its raw path, so
/// ids and tokens never become label values).
#[derive(Clone)]
pub struct Measure(pub AppState);

impl Around for Measure {
    /// The route, the method's label and when the request came in.
    type Seen = (Option<MatchedPath>, &'static str, Instant);

    fn before(&self, request: &Request) -> Self::Seen {
        let route = request.extensions().get::<MatchedPath>().cloned();
        (route, method_label(request.method()), Instant::now())
    }

    fn after(&self, (route, method, started): Self::Seen, response: Response) -> Response {
        self.0.telemetry.request(
            route.as_ref().map_or("unmatched", MatchedPath::as_str),
            method,
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
        response
    }
}

/// A request's method as a label: the standard ones by name, any other
/// (a client may send any token as a method) as `OTHER`, so clients
/// cannot grow the metrics with methods of their own.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>, req: Request) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let headers = req.headers();
    let forwarded = headers.contains_key("x-forwarded-for") || headers.contains_key("forwarded");
    let client = client_ip(peer, headers, &state.settings.trusted_proxies);
    let loopback_unforwarded = !forwarded && client.is_some_and(|ip| ip.is_loopback());
    let telemetry = &state.telemetry;
    if !telemetry.allows(headers, loopback_unforwarded) {
        return StatusCode::NOT_FOUND.into_response();
    }
    if let Some(n) = state.counts.active_sessions().await {
        telemetry.gauge("rampart_active_sessions", n as f64);
    }
    if let Some(n) = state.counts.queued_mail().await {
        telemetry.gauge("rampart_mail_queue", n as f64);
    }
    let pool = state.accounts.hash_pool();
    telemetry.gauge("rampart_hash_pool_in_flight", pool.in_flight() as f64);
    telemetry.gauge("rampart_hash_pool_capacity", pool.capacity() as f64);
    let flood = pool.flood_watch();
    telemetry.gauge(
        "rampart_hash_pool_flood",
        if flood.flood() { 1.0 } else { 0.0 },
    );
    telemetry.total("rampart_hash_pool_yields_total", flood.yields());
    let (jobs, waited) = pool.waits().totals();
    telemetry.total("rampart_hash_pool_jobs_total", jobs);
    telemetry.total(
        "rampart_hash_pool_wait_microseconds_total",
        (waited * 1e6) as u64,
    );
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        telemetry.handle.render(),
    )
        .into_response()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The `_count` of the latency series for `route`, `method`, `status`.
    fn count(text: &str, route: &str, method: &str, status: u16) -> u64 {
        let labels = [
            format!("route=\"{route}\""),
            format!("method=\"{method}\""),
            format!("status=\"{status}\""),
        ];
        text.lines()
            .filter(|line| line.starts_with("rampart_http_request_duration_seconds_count{"))
            .filter(|line| labels.iter().all(|label| line.contains(label.as_str())))
            .map(|line| line.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
            .sum()
    }

    /// Each route, method and status keeps its own histogram, also when
    /// requests record into them from many threads at once.
    #[test]
    fn latencies_are_kept_apart_by_route_method_and_status() {
        let telemetry = std::sync::Arc::new(Telemetry::new(None));
        let series = [
            ("/a", "GET", 200, 30),
            ("/a", "GET", 404, 7),
            ("/a", "POST", 200, 11),
            ("/b", "GET", 200, 5),
            ("unmatched", "OTHER", 404, 13),
        ];
        std::thread::scope(|threads| {
            for _ in 0..4 {
                let telemetry = telemetry.clone();
                threads.spawn(move || {
                    for (route, method, status, times) in series {
                        for _ in 0..times {
                            telemetry.request(route, method, status, 0.001);
                        }
                    }
                });
            }
        });
        let text = telemetry.handle.render();
        for (route, method, status, times) in series {
            assert_eq!(
                count(&text, route, method, status),
                4 * times,
                "{route} {method} {status}"
            );
        }
        let kept: usize = telemetry
            .latencies
            .read()
            .unwrap()
            .values()
            .map(Vec::len)
            .sum();
        assert_eq!(kept, series.len());
    }

    /// Methods are the standard ones or `OTHER`, whatever their spelling.
    #[test]
    fn invented_methods_are_other() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::DELETE), "DELETE");
        for invented in ["get", "Get", "PROBE", "GETS", &"X".repeat(200)] {
            let method = Method::from_bytes(invented.as_bytes()).unwrap();
            assert_eq!(method_label(&method), "OTHER", "{invented}");
        }
    }
}
