//! A redirect to an identity provider waiting for its answer.

use crate::model::UserId;
use rampart_crypto::TokenDigest;
use time::OffsetDateTime;

/// A redirect waiting for its answer, as stored.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    /// Digest of `state`.
    pub state_digest: TokenDigest,
    /// Digest of the session token of the browser that started it.
    pub visitor_digest: TokenDigest,
    /// The provider's id.
    pub provider: String,
    /// The nonce and PKCE verifier, sealed by the key ring.
    pub sealed: String,
    /// Where to go afterwards (a checked local path).
    pub next: String,
    /// What the redirect is for.
    pub purpose: Purpose,
    /// Dies at this time.
    pub expires_at: OffsetDateTime,
}

/// What a redirect to a provider is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Signing in (or up).
    SignIn,
    /// Linking the identity to this signed-in account.
    Link(UserId),
    /// Proving again, with an identity already linked, that this signed-in
    /// account's owner is here (instead of the password, before a sensitive
    /// action).
    Reauth(UserId),
}

impl Purpose {
    /// Its name in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::Link(_) => "link",
            Self::Reauth(_) => "reauth",
        }
    }

    /// The account a link or re-authentication is for.
    pub fn user(self) -> Option<UserId> {
        match self {
            Self::SignIn => None,
            Self::Link(u) | Self::Reauth(u) => Some(u),
        }
    }

    /// Rebuilt from the database.
    pub fn from_parts(name: &str, user: Option<UserId>) -> Option<Self> {
        match (name, user) {
            ("sign_in", None) => Some(Self::SignIn),
            ("link", Some(u)) => Some(Self::Link(u)),
            ("reauth", Some(u)) => Some(Self::Reauth(u)),
            _ => None,
        }
    }
}
