//! Integration tests: the real server over real HTTP on a random port, on
//! SQLite and (when `RAMPART_TEST_DATABASE_URL` is set) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Tests compare what the server did with the real time (see clippy.toml).
#![allow(clippy::disallowed_methods)]

mod addresses;
mod admin;
mod alerts;
mod api;
mod audit;
mod breached;
mod browser;
mod brute_force;
mod bypass;
mod cli;
mod concurrency;
mod conformance;
mod connections;
mod csrf;
mod escalation;
mod flood;
mod flows;
mod forward_auth;
mod headers;
mod hostile;
mod https;
mod import;
mod instance_loss;
mod languages;
mod ldap;
mod lifecycle;
mod lockout;
mod metrics;
mod mfa;
mod oidc;
mod openapi;
mod operations;
mod passkeys;
mod protection;
mod proxies;
mod ratelimits;
mod recovery;
mod recovery_codes;
mod remember;
mod scale_out;
mod sessions;
mod step_up;
