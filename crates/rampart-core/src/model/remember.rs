//! Remember-me records.

use crate::model::UserId;
use rampart_crypto::TokenDigest;
use time::OffsetDateTime;

/// A stored remember-me token.
#[derive(Debug, Clone)]
pub struct RememberRecord {
    /// Public half of the cookie.
    pub selector: String,
    /// SHA-256 of the secret half.
    pub validator_digest: TokenDigest,
    /// The series (one per sign-in with "keep me signed in").
    pub series: String,
    /// Owner.
    pub user_id: UserId,
    /// Issue time.
    pub created_at: OffsetDateTime,
    /// Expiry.
    pub expires_at: OffsetDateTime,
    /// Set once the token has been used (and replaced).
    pub rotated_at: Option<OffsetDateTime>,
}
