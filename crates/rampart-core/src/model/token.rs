//! API token records: scopes, ids, a token as stored and as listed.

use crate::model::{User, UserId};
use rampart_crypto::TokenDigest;
use serde::Serialize;
use time::OffsetDateTime;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Scope {
    /// Read the owner's account, sessions and tokens.
    #[serde(rename = "read:me")]
    ReadMe,
    /// Change the owner's account (password, sessions, tokens).
    #[serde(rename = "write:me")]
    WriteMe,
    /// Act with the owner's administrative permissions (staff only; each
    /// admin route asks the role book for its permission).
    #[serde(rename = "admin")]
    Admin,
    /// Pass forward authentication (`/auth/verify`) as the owner. No other
    /// scope does: a token made to read an account is not a key to every
    /// application behind the proxy.
    #[serde(rename = "proxy")]
    Proxy,
}

impl Scope {
    /// Every scope, in order.
    pub const ALL: [Scope; 4] = [Scope::ReadMe, Scope::WriteMe, Scope::Admin, Scope::Proxy];

    /// The scope's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ReadMe => "read:me",
            Scope::WriteMe => "write:me",
            Scope::Admin => "admin",
            Scope::Proxy => "proxy",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// A token's public identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct TokenId(pub String);

/// A token as listed to its owner (never with its secret).
#[derive(Debug, Clone)]
pub struct TokenSummary {
    /// Identifier.
    pub id: TokenId,
    /// The owner's label for it.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Expiry.
    pub expires_at: OffsetDateTime,
    /// Last successful use, if any.
    pub last_used_at: Option<OffsetDateTime>,
}

/// A live token with its owner.
#[derive(Debug, Clone)]
pub struct ApiToken {
    /// The token's fields.
    pub summary: TokenSummary,
    /// Its owner, as of the last read.
    pub user: User,
}

impl ApiToken {
    /// True when the token carries `scope`. (The `admin` scope only lets a
    /// token act with its owner's administrative permissions, which every
    /// admin route checks through the role book at each request.)
    pub fn allows(&self, scope: Scope) -> bool {
        self.summary.scopes.contains(&scope)
    }
}

/// What the store needs to create a token.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    /// The token's fields.
    pub summary: TokenSummary,
    /// Owner.
    pub user_id: UserId,
    /// SHA-256 of the secret.
    pub digest: TokenDigest,
}
