//! Losing an instance (#21): three `rampart serve` processes on one
//! PostgreSQL database behind real nginx, configured as `docs/deploy.md`
//! says, under registrations, sign-ins and page loads; one instance is
//! killed with SIGKILL half-way. The others go on serving, only requests in
//! flight on the killed one may fail, and every registration that was
//! answered 303 is in the database afterwards.
//!
//! `bench/instances.sh` runs this test on the release binary with a longer
//! load and one or three instances (`RAMPART_FLEET_INSTANCES`,
//! `RAMPART_FLEET_SECONDS`) for the figures in `docs/benchmarks.md`.

use crate::cli::{Server, rampart};
use rampart_testkit::{Backend, GOOD_PASSWORD, csrf_from, fresh_postgres_database};
use reqwest::StatusCode;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Clients driving the load at once.
const CLIENTS: usize = 8;

/// nginx in front of `instances`, from the block of `docs/deploy.md`.
fn nginx_config(dir: &Path, port: u16, instances: &[u16]) -> String {
    let deploy = include_str!("../../../../docs/deploy.md");
    let start = deploy
        .find("### nginx in front of three instances")
        .expect("docs/deploy.md has the section");
    let block = &deploy[start..];
    let block = &block[block.find("```nginx\n").unwrap() + 9..];
    let block = &block[..block.find("```").unwrap()];
    let mut servers = String::new();
    let template = block
        .lines()
        .find(|l| l.trim_start().starts_with("server 10.0.0.11:8080"))
        .expect("an upstream server line");
    for port in instances {
        servers.push_str(&template.replace("10.0.0.11:8080", &format!("127.0.0.1:{port}")));
        servers.push('\n');
    }
    let block: String = block
        .lines()
        .filter(|l| !l.trim_start().starts_with("server 10.0.0.1"))
        .map(|l| {
            if l.starts_with("upstream rampart {") {
                format!("{l}\n{servers}")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let mut block = block;
    for (from, to) in [
        ("listen 443 ssl;", format!("listen 127.0.0.1:{port};")),
        (
            "server_name auth.example.com;",
            "server_name 127.0.0.1;".into(),
        ),
        // The example's `$host` drops the port this test listens on.
        ("Host $host;", "Host $http_host;".into()),
    ] {
        assert!(block.contains(from), "docs/deploy.md's block has {from}");
        block = block.replace(from, &to);
    }
    assert_eq!(
        block.matches("server 127.0.0.1:").count(),
        instances.len(),
        "{block}"
    );
    let d = dir.display();
    format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 512; }}\n\
         http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n fastcgi_temp_path {d}/fastcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n{block}\n}}\n"
    )
}

/// A `rampart serve`, killed when dropped (a failing test leaves no process).
struct Instance(Option<Server>);

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(server) = self.0.take() {
            server.signal("-KILL");
            let _ = server.stop();
        }
    }
}

/// What the clients saw in one phase of the run.
#[derive(Default, Debug)]
struct Tally {
    /// Requests answered as expected.
    ok: u64,
    /// Requests that failed (transport error or an unexpected status), with
    /// what failed.
    failed: Vec<String>,
    /// Sign-ups and sign-ins answered 303.
    signed_up: u64,
    signed_in: u64,
}

#[derive(Default)]
struct Tallies {
    /// Before the kill, during the two seconds after it, and after that.
    phases: [Tally; 3],
    /// The names whose registration was answered 303.
    registered: BTreeSet<String>,
}

/// Which phase `now` is in, given when the kill happened.
fn phase(killed_at: Option<Instant>, now: Instant) -> usize {
    match killed_at {
        None => 0,
        Some(at) if now < at + Duration::from_secs(2) => 1,
        Some(_) => 2,
    }
}

/// One client: register, load the account page, sign in again in a fresh
/// browser; until `until`.
async fn client(
    front: String,
    id: usize,
    until: Instant,
    killed: Arc<Mutex<Option<Instant>>>,
    tallies: Arc<Mutex<Tallies>>,
) {
    let mut n = 0;
    while Instant::now() < until {
        n += 1;
        let name = format!("c{id}n{n}");
        let record = |what: &str, outcome: Result<(), String>| {
            let now = Instant::now();
            let mut t = tallies.lock().unwrap();
            let p = phase(*killed.lock().unwrap(), now);
            match outcome {
                Ok(()) => t.phases[p].ok += 1,
                Err(e) => t.phases[p].failed.push(format!("{what}: {e}")),
            }
        };
        let browser = rampart_testkit::Browser::new(&front);
        let Some(()) = form(
            &browser,
            &front,
            "/register",
            &[
                ("username", &name),
                ("email", &format!("{name}@example.com")),
                ("password", GOOD_PASSWORD),
                ("password_confirm", GOOD_PASSWORD),
            ],
            &record,
        )
        .await
        else {
            continue;
        };
        {
            let mut t = tallies.lock().unwrap();
            let p = phase(*killed.lock().unwrap(), Instant::now());
            t.phases[p].signed_up += 1;
            t.registered.insert(name.clone());
        }
        let page = browser.client.get(format!("{front}/account")).send().await;
        record("GET /account", expect(page, StatusCode::OK));
        let again = rampart_testkit::Browser::new(&front);
        if form(
            &again,
            &front,
            "/login",
            &[("username", &name), ("password", GOOD_PASSWORD)],
            &record,
        )
        .await
        .is_some()
        {
            let mut t = tallies.lock().unwrap();
            let p = phase(*killed.lock().unwrap(), Instant::now());
            t.phases[p].signed_in += 1;
        }
    }
}

/// How many `POST /register` the instance on `port` has answered, from its
/// `/metrics` (open on loopback without a token).
async fn sign_ups_served(port: u16) -> f64 {
    crate::metrics::sample_sum(
        &format!("http://127.0.0.1:{port}"),
        "rampart_http_request_duration_seconds_count",
        &["route=\"/register\"", "method=\"POST\""],
    )
    .await
}

/// `Ok` when `response` arrived with `want`.
fn expect(response: reqwest::Result<reqwest::Response>, want: StatusCode) -> Result<(), String> {
    match response {
        Ok(r) if r.status() == want => Ok(()),
        Ok(r) => Err(r.status().to_string()),
        Err(e) => Err(format!("transport: {e}")),
    }
}

/// GET the form at `path`, POST it back with its CSRF token; `Some` when the
/// POST was answered 303.
async fn form(
    browser: &rampart_testkit::Browser,
    front: &str,
    path: &str,
    fields: &[(&str, &str)],
    record: &impl Fn(&str, Result<(), String>),
) -> Option<()> {
    let url = format!("{front}{path}");
    let page = match browser.client.get(&url).send().await {
        Ok(r) if r.status() == StatusCode::OK => r.text().await.ok(),
        Ok(r) => {
            record(&format!("GET {path}"), Err(r.status().to_string()));
            return None;
        }
        Err(e) => {
            record(&format!("GET {path}"), Err(format!("transport: {e}")));
            return None;
        }
    };
    let Some(token) = page.as_deref().and_then(csrf_from) else {
        record(&format!("GET {path}"), Err("no form".into()));
        return None;
    };
    record(&format!("GET {path}"), Ok(()));
    let mut fields = fields.to_vec();
    fields.push(("csrf_token", &token));
    let posted = browser.client.post(&url).form(&fields).send().await;
    let outcome = expect(posted, StatusCode::SEE_OTHER);
    let done = outcome.is_ok();
    record(&format!("POST {path}"), outcome);
    done.then_some(())
}

fn env_number(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_an_instance_loses_no_committed_change() {
    let Some(Backend::Postgres(server)) =
        Backend::postgres("losing_an_instance_loses_no_committed_change")
    else {
        return;
    };
    if !crate::proxies::available("nginx") {
        return;
    }
    let count = env_number("RAMPART_FLEET_INSTANCES", 3).max(1) as usize;
    let seconds = env_number("RAMPART_FLEET_SECONDS", 3);
    let database_url = fresh_postgres_database(&server).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let front_port = rampart_testkit::free_port();
    let front = format!("http://127.0.0.1:{front_port}");
    let mut ports: Vec<u16> = Vec::new();
    while ports.len() < count {
        let port = rampart_testkit::free_port();
        if port != front_port && !ports.contains(&port) {
            ports.push(port);
        }
    }

    // The first instance migrates and writes the shared development secret
    // and key ring; the others start on them.
    let mut instances = Vec::new();
    for port in &ports {
        let mut cmd = rampart(data.path());
        cmd.arg("serve")
            .env("RAMPART_LISTEN", format!("127.0.0.1:{port}"))
            .env("RAMPART_BASE_URL", &front)
            .env("RAMPART_DATABASE_URL", &database_url)
            .env("RAMPART_DATA_DIR", data.path())
            .env("RAMPART_TRUSTED_PROXIES", "127.0.0.1/32")
            .env("RAMPART_RATE__REGISTRATIONS_PER_CLIENT", "1000000")
            .env("RUST_LOG", "warn");
        let mut server = Server::spawn(&mut cmd, *port, format!("http://127.0.0.1:{port}"));
        server.drain();
        instances.push(Instance(Some(server)));
    }
    let dir = tempfile::tempdir().unwrap();
    let config = nginx_config(dir.path(), front_port, &ports);
    let _nginx = crate::proxies::nginx(dir.path(), config, front_port);

    // The load, for `seconds` before the kill and `seconds` after it.
    let killed = Arc::new(Mutex::new(None));
    let tallies = Arc::new(Mutex::new(Tallies::default()));
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds * 2);
    let clients: Vec<_> = (0..CLIENTS)
        .map(|id| {
            tokio::spawn(client(
                front.clone(),
                id,
                until,
                killed.clone(),
                tallies.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    // nginx spread the load: every instance has answered sign-ups.
    let mut served = Vec::new();
    for port in &ports {
        let n = sign_ups_served(*port).await;
        assert!(n > 0.0, "the instance on {port} served no sign-up");
        served.push(n);
    }
    if count > 1 {
        let victim = instances[1].0.as_ref().unwrap();
        *killed.lock().unwrap() = Some(Instant::now());
        victim.signal("-KILL");
    }
    for c in clients {
        c.await.unwrap();
    }
    let elapsed = started.elapsed();
    if count > 1 {
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", ports[1])).is_err(),
            "the killed instance is gone"
        );
        for (i, port) in ports.iter().enumerate().filter(|(i, _)| *i != 1) {
            let later = sign_ups_served(*port).await;
            assert!(
                later > served[i],
                "the instance on {port} went on serving ({} then {later})",
                served[i]
            );
        }
    }

    // What the clients saw.
    // Every client has ended: the tallies are this task's alone now.
    let t = std::mem::take(&mut *tallies.lock().unwrap());
    let [before, at_kill, after] = &t.phases;
    let requests: u64 = t.phases.iter().map(|p| p.ok + p.failed.len() as u64).sum();
    let sign_ups: u64 = t.phases.iter().map(|p| p.signed_up).sum();
    let sign_ins: u64 = t.phases.iter().map(|p| p.signed_in).sum();
    let secs = elapsed.as_secs_f64();
    eprintln!(
        "fleet: {count} instance(s), {CLIENTS} clients, {secs:.1} s: {:.1} requests/s, {:.1} sign-ups/s, {:.1} sign-ins/s",
        requests as f64 / secs,
        sign_ups as f64 / secs,
        sign_ins as f64 / secs,
    );
    eprintln!(
        "fleet: before the kill {} ok, {} failed; two seconds after it {} ok, {} failed {:?}; later {} ok, {} failed",
        before.ok,
        before.failed.len(),
        at_kill.ok,
        at_kill.failed.len(),
        at_kill.failed,
        after.ok,
        after.failed.len(),
    );
    assert!(before.failed.is_empty(), "{:?}", before.failed);
    assert!(before.signed_up > 0 && before.signed_in > 0, "{before:?}");
    if count > 1 {
        // Only what was in flight on the killed instance may fail (or was
        // sent on one of nginx's idle connections to it before nginx saw it
        // close; a POST is not retried elsewhere): at most one per client,
        // as nginx marks the instance down at its first failure.
        assert!(
            at_kill.failed.len() <= CLIENTS,
            "more failures than requests in flight: {:?}",
            at_kill.failed
        );
        assert!(after.failed.is_empty(), "{:?}", after.failed);
        assert!(
            after.signed_up > 0 && after.signed_in > 0,
            "the others keep serving: {after:?}"
        );
    }

    // No committed change is lost: every registration answered 303 is there.
    use sqlx::Connection;
    let mut db = sqlx::PgConnection::connect(&database_url).await.unwrap();
    let stored: BTreeSet<String> = sqlx::query_scalar::<_, String>("SELECT username FROM users")
        .fetch_all(&mut db)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let lost: Vec<&String> = t.registered.difference(&stored).collect();
    assert!(lost.is_empty(), "answered 303 but not stored: {lost:?}");
    eprintln!(
        "fleet: {} registrations answered 303, all {} stored",
        t.registered.len(),
        t.registered.len()
    );
}
