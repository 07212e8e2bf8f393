//! Layers every request passes through, outermost last: tracing with a
//! request id, panic and timeout guards, security headers, error pages, and
//! for page routes the session and CSRF checks and the sign-in requirement.

pub mod around;
pub mod auth;
pub mod csrf;
pub mod errors;
pub mod headers;
pub mod session;
pub mod trace;
