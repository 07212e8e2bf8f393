//! The only place Rampart speaks SQL. [`Store`] implements the domain's
//! repository traits for SQLite (embedded, the zero-configuration default) and
//! PostgreSQL (several instances sharing one database), with one migrations
//! folder per backend at the same versions.
//!
//! Every statement is parameterized, and the same SQL text serves both
//! backends (`$1` placeholders work on both). The statements live once, in
//! [`users`], [`sessions`] and [`tokens`]; [`backend`] opens, tunes and migrates each kind
//! of database.

mod audit;
mod backend;
mod backup;
mod embedded;
mod error;
mod identities;
pub mod invalidation;
mod mail;
mod mfa;
mod passkeys;
mod rate;
mod remember;
mod sessions;
mod setup;
mod throttle;
mod time;
mod tokens;
mod users;
mod way_in;
mod webhooks;

pub use backend::{Store, StoreOpenError};
pub use backup::BackupError;
pub use embedded::{EmbeddedPool, Lent};
