//! `/metrics`: Prometheus text (parsed by the `prometheus-parse` crate) whose
//! sign-in counters move with sign-ins; reachable from loopback or with the
//! configured token only.

use rampart_testkit::{Backend, Fetch, GOOD_PASSWORD, TestApp, backend_test};
use reqwest::{Client, StatusCode};

const TOKEN: &str = "a-long-scrape-token-0123456789";

async fn scrape(app: &TestApp) -> prometheus_parse::Scrape {
    let resp = Client::new().get(app.url("/metrics")).fetch().await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = resp.text().await.unwrap();
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap()
}

fn value(scrape: &prometheus_parse::Scrape, metric: &str, label: Option<(&str, &str)>) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric)
        .filter(|s| label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum()
}

#[backend_test]
async fn metrics_parse_and_count_sign_ins(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    app.signed_up("alice").await;
    let before = scrape(&app).await;
    let failed = |s: &prometheus_parse::Scrape| {
        value(s, "rampart_logins_total", Some(("outcome", "failed")))
    };
    let succeeded = |s: &prometheus_parse::Scrape| {
        value(s, "rampart_logins_total", Some(("outcome", "succeeded")))
    };
    for _ in 0..3 {
        app.browser().login("alice", "not the password").await;
    }
    app.browser().login("alice", GOOD_PASSWORD).await;
    app.api_login("alice", GOOD_PASSWORD).await;
    let after = scrape(&app).await;
    assert_eq!(failed(&after) - failed(&before), 3.0);
    assert_eq!(succeeded(&after) - succeeded(&before), 2.0);
    assert!(value(&after, "rampart_active_sessions", None) >= 3.0);
    assert!(value(&after, "rampart_hash_pool_capacity", None) >= 1.0);
    assert!(value(&after, "rampart_hash_pool_jobs_total", None) >= 6.0);
    assert!(
        value(
            &after,
            "rampart_security_events_total",
            Some(("type", "user.registered"))
        ) >= 1.0
    );
    // Request latency by route template.
    let login_requests = after.samples.iter().any(|s| {
        s.metric == "rampart_http_request_duration_seconds"
            && s.labels.get("route") == Some("/login")
            && s.labels.get("method") == Some("POST")
    });
    assert!(login_requests, "a latency histogram for POST /login");

    // Clients cannot grow the metrics: methods of their own are counted as
    // one `OTHER`, unknown paths as one `unmatched` route.
    let client = Client::new();
    for i in 0..40 {
        // Invented, lower-case spellings of real ones, and long ones.
        let name = match i % 3 {
            0 => format!("PROBE{i}"),
            1 => format!("get{i}").to_lowercase(),
            _ => format!("{}{i}", "X".repeat(100)),
        };
        let method = reqwest::Method::from_bytes(name.as_bytes()).unwrap();
        let resp = client
            .request(method, app.url(&format!("/no/such/page/{i}")))
            .fetch()
            .await;
        assert!(resp.status().is_client_error(), "{}", resp.status());
    }
    let flooded = scrape(&app).await;
    let latency = |s: &prometheus_parse::Scrape| {
        s.samples
            .iter()
            .filter(|s| s.metric == "rampart_http_request_duration_seconds_count")
            .map(|s| {
                (
                    s.labels.get("route").map(str::to_owned),
                    s.labels.get("method").map(str::to_owned),
                )
            })
            .collect::<std::collections::BTreeSet<_>>()
    };
    let series = latency(&flooded);
    assert!(
        series.iter().all(|(_, method)| matches!(
            method.as_deref(),
            Some("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" | "OTHER")
        )),
        "{series:?}"
    );
    assert!(
        series.contains(&(Some("unmatched".to_owned()), Some("OTHER".to_owned()))),
        "{series:?}"
    );
    assert_eq!(
        value(
            &flooded,
            "rampart_http_request_duration_seconds_count",
            Some(("method", "OTHER"))
        ),
        40.0
    );
    assert!(
        latency(&flooded).len() <= latency(&after).len() + 2,
        "{series:?}"
    );
}

#[backend_test]
async fn metrics_are_not_public(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| {
        raw.metrics = Some(rampart_server::config::RawMetrics {
            token: Some(TOKEN.to_owned()),
            token_file: None,
        })
    })
    .await;
    let client = Client::new();
    let get = |auth: Option<&str>, forwarded: bool| {
        let mut req = client.get(app.url("/metrics"));
        if let Some(token) = auth {
            req = req.bearer_auth(token);
        }
        if forwarded {
            req = req.header("x-forwarded-for", "198.51.100.7");
        }
        req.send()
    };
    assert_eq!(
        get(None, false).await.unwrap().status(),
        StatusCode::OK,
        "loopback"
    );
    assert_eq!(
        get(None, true).await.unwrap().status(),
        StatusCode::NOT_FOUND,
        "a request a proxy forwarded from elsewhere"
    );
    assert_eq!(
        get(Some("wrong-token-wrong-token"), true)
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(Some(TOKEN), true).await.unwrap().status(),
        StatusCode::OK
    );
}

/// The sum of the samples of `metric` (its exposition name, e.g.
/// `…_count`) whose labels contain each of `labels` (`key="value"`), read
/// from the `/metrics` of the server at `base` (open on loopback).
pub(crate) async fn sample_sum(base: &str, metric: &str, labels: &[&str]) -> f64 {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| {
            l.strip_prefix(metric)
                .is_some_and(|rest| rest.starts_with(['{', ' ']))
                && labels.iter().all(|label| l.contains(label))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}
