//! Rampart's domain: who a user is, how they register and sign in, what a
//! session is and when it ends. Rules live here; transport (HTTP) and storage
//! (SQL) do not. The traits this layer needs from the outside world are in
//! [`ports`]; `rampart-store` implements them, `rampart-web` drives them.
#![warn(missing_docs)]

pub mod access;
pub mod account;
pub mod admin;
pub mod alerts;
pub mod audit;
pub mod authn;
pub mod cache;
pub mod client;
pub mod clock;
pub mod coherence;
pub mod device;
pub mod external;
pub mod import;
pub use model::mail;
pub mod mfa;
pub mod model;
pub mod passkey;
pub mod password;
pub mod permission;
pub mod ports;
pub mod provider;
pub mod rate;
pub mod recovery;
mod recovery_code;
pub mod remember;
pub mod session;
pub mod setup;
pub mod throttle;
pub mod token;
pub mod when;

pub use account::{AccountService, Authenticated, LoginError, RegisterError, Registration};
pub use admin::AdminService;
pub use audit::{AuditTrail, ClientMeta, Outcome};
pub use clock::{Clock, ManualClock, SystemClock};
pub use mfa::{MfaConfig, MfaError, MfaRequirement, MfaService};
pub use model::{Email, FieldProblem, RoleName, User, UserId, Username, Words};
pub use permission::{Permission, RoleBook};
pub use ports::{
    OneTimeTokenRepo, OutboxRepo, RememberRepo, RepoError, SessionRepo, TokenRepo, UserRepo,
};
pub use recovery::{RecoveryConfig, RecoveryError, RecoveryParts, RecoveryService};
pub use remember::{Redemption, RememberParts, RememberService};
pub use session::{
    API_SESSION_PREFIX, ClientCheck, Protection, Session, SessionConfig, SessionId, SessionKind,
    SessionService, client_fingerprint,
};
pub use token::{ApiToken, Scope, TokenService};

/// An error and its `source()` chain as one line, for the log and for
/// errors that carry an outside library's failure as text.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
