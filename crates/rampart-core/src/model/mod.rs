//! The records of the domain, by domain: what services, ports and adapters
//! pass to each other. A leaf: it imports no service and no port, so every
//! module can use it without a cycle (checked by `tests/import_graph.rs`).

pub mod audit;
pub mod authn;
pub mod identity;
pub mod mail;
pub mod mfa;
pub mod passkey;
pub mod provider;
pub mod recovery;
pub mod remember;
pub mod session;
pub mod throttle;
pub mod token;
mod user;

pub use user::*;
