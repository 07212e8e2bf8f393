//! Everything about passwords above the raw algorithm: the acceptance policy
//! (NIST SP 800-63B) and the bounded pool that runs Argon2id off the async
//! runtime.

pub mod breached;
pub mod flood;
pub mod policy;
pub mod pool;

pub use policy::{PasswordPolicy, context_words};
pub use pool::{HashPool, PoolBusy};
