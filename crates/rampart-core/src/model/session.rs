//! Session records: a session as stored and as listed, and its id.

use crate::model::authn::AuthMethods;
use crate::model::{User, UserId};
use rampart_crypto::TokenDigest;
use time::OffsetDateTime;

/// A session's public identifier (shown on the sessions page; not a secret).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionId(pub String);

impl SessionId {
    /// A new random identifier.
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }
}

impl Default for SessionId {
    fn default() -> Self {
        Self::new()
    }
}

/// What the store needs to create a session.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Public identifier.
    pub id: SessionId,
    /// SHA-256 of the token.
    pub digest: TokenDigest,
    /// The signed-in user.
    pub user_id: UserId,
    /// Sign-in time.
    pub created_at: OffsetDateTime,
    /// Absolute expiry.
    pub expires_at: OffsetDateTime,
    /// Client address at sign-in.
    pub ip: Option<String>,
    /// Client user agent at sign-in (truncated).
    pub user_agent: Option<String>,
    /// Digest of the client at sign-in.
    pub fingerprint: String,
    /// False for a session restored from a remember-me cookie: nothing was
    /// proved, so sensitive actions ask for `/reauth`.
    pub fresh: bool,
    /// The remember-me series that started it, if one did (theft of the
    /// series ends the sessions it started).
    pub remember_series: Option<String>,
    /// How its holder proved themselves.
    pub methods: AuthMethods,
    /// The language the browser asked for, recorded as its account's (the
    /// language of its mails) when the account has none yet.
    pub language: Option<String>,
}

impl NewSession {
    /// When the password was last proved: sign-in time, or never for a
    /// session restored from a remember-me cookie.
    pub fn fresh_at(&self) -> OffsetDateTime {
        if self.fresh {
            self.created_at
        } else {
            OffsetDateTime::UNIX_EPOCH
        }
    }
}

/// What a session has proved, as the store keeps it: replaced when its
/// holder proves themselves again (a new token, fresh, perhaps more
/// methods) or when protection finds it used from another client (stale).
#[derive(Debug, Clone)]
pub struct SessionProof {
    /// The digest of its token (rotated at re-authentication).
    pub digest: TokenDigest,
    /// When the holder last proved themselves.
    pub fresh_at: OffsetDateTime,
    /// Digest of the client that did.
    pub fingerprint: String,
    /// How.
    pub methods: AuthMethods,
}

impl Session {
    /// What the session has proved now (its digest, freshness, client and
    /// methods), to change one part of.
    pub fn proof(&self) -> SessionProof {
        SessionProof {
            digest: self.digest,
            fresh_at: self.fresh_at,
            fingerprint: self.fingerprint.clone(),
            methods: self.methods,
        }
    }
}

/// A session as read from the store.
#[derive(Debug, Clone)]
pub struct StoredSession {
    /// The session's fields.
    pub session: Session,
    /// When the store last recorded activity.
    pub last_seen_at: OffsetDateTime,
}

/// A live, signed-in session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Public identifier.
    pub id: SessionId,
    /// The token digest (the cache key).
    pub digest: TokenDigest,
    /// The signed-in user.
    pub user: User,
    /// Sign-in time.
    pub created_at: OffsetDateTime,
    /// Absolute expiry.
    pub expires_at: OffsetDateTime,
    /// Client address at sign-in.
    pub ip: Option<String>,
    /// Client user agent at sign-in.
    pub user_agent: Option<String>,
    /// When the password was last proved (sign-in or re-authentication).
    pub fresh_at: OffsetDateTime,
    /// Digest of the client that signed in (or last re-authenticated).
    pub fingerprint: String,
    /// How its holder proved themselves (at sign-in, or since).
    pub methods: AuthMethods,
}
