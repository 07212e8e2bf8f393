//! Personal access tokens for scripts and services: `rmp_…` secrets shown
//! once, stored as SHA-256 digests, each with a name, scopes, an expiry and a
//! `last_used_at`. A token never exceeds its owner's current rights: the
//! `admin` scope only counts while the owner holds the `admin` role, and a
//! locked owner's tokens stop working.
//!
//! Checking a token is on the hot path of forward-auth, so it is cached in
//! process like sessions; revocation on this instance drops the cache entry at
//! once, other instances see it within `cache_ttl`.

use crate::audit::{AuditTrail, ClientMeta};
use crate::cache::CacheGate;
use crate::clock::Clock;
use crate::coherence::AccountCaching;
use crate::model::audit::AuditKind;
pub use crate::model::token::{ApiToken, NewApiToken, Scope, TokenId, TokenSummary};
use crate::model::{FieldProblem, User, UserId};
use crate::password::flood::FloodWatch;
use crate::permission::RoleBook;
use crate::ports::{RepoError, TokenRepo};
use rampart_crypto::{TokenDigest, generate_pat, is_well_formed_pat};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use time::{Duration, OffsetDateTime};

/// The longest token name, in characters as sent.
pub const NAME_MAX_CHARS: usize = 64;

/// The token-name rule of [`name_is_valid`] as a regular expression, for the
/// API document (with [`NAME_MAX_CHARS`] as its `maxLength`): not only blank,
/// no control characters. A property test keeps the two in agreement.
pub const NAME_PATTERN: &str = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\uFEFF\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$";

/// Blank as the API document's `\s` is: Unicode spaces and U+FEFF.
fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// A token name is 1 to [`NAME_MAX_CHARS`] characters as sent, not only
/// blank, with no control characters.
pub fn name_is_valid(name: &str) -> bool {
    name.chars().count() <= NAME_MAX_CHARS
        && !name.chars().any(char::is_control)
        && name.chars().any(|c| !is_blank(c))
}

/// Why a token could not be created or revoked.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The request breaks the rules; each problem is listed.
    #[error("the token request is invalid")]
    Invalid(Vec<FieldProblem>),
    /// No such token for this owner.
    #[error("no such token")]
    NotFound,
    /// The database failed.
    #[error("the token store is unavailable")]
    Store(#[from] RepoError),
}

struct Cached {
    token: Arc<ApiToken>,
    fetched_at: OffsetDateTime,
}

/// Creates, checks, lists and revokes personal access tokens.
pub struct TokenService {
    roles: Arc<RoleBook>,
    repo: Arc<dyn TokenRepo>,
    clock: Arc<dyn Clock>,
    cache_ttl: Duration,
    cache: RwLock<HashMap<TokenDigest, Cached>>,
    gate: CacheGate,
    audit: Arc<AuditTrail>,
    /// Told of each live token resolved (see `password::flood`).
    flood: Arc<FloodWatch>,
}

impl TokenService {
    /// A service over `repo`.
    pub fn new(
        repo: Arc<dyn TokenRepo>,
        clock: Arc<dyn Clock>,
        audit: Arc<AuditTrail>,
        roles: Arc<RoleBook>,
    ) -> Self {
        Self {
            roles,
            repo,
            clock,
            cache_ttl: Duration::seconds(10),
            cache: RwLock::new(HashMap::new()),
            gate: CacheGate::default(),
            audit,
            // Watched by nobody until `with_flood_watch`.
            flood: Arc::new(FloodWatch::default()),
        }
    }

    /// Tells `watch` of every live token resolved, as the session service
    /// does of sessions: their owners are signed-in people too.
    pub fn with_flood_watch(mut self, watch: Arc<FloodWatch>) -> Self {
        self.flood = watch;
        self
    }

    /// True when `user` may hold tokens with the `admin` scope: they have
    /// an administrative permission (asked of the role book).
    pub fn may_administer(&self, user: &User) -> bool {
        self.roles.is_staff(user)
    }

    /// Creates a token for `owner`; returns the secret (to show once).
    pub async fn create(
        &self,
        owner: &User,
        name: &str,
        scopes: &[String],
        expires_in_days: i64,
        client: &ClientMeta,
    ) -> Result<(SecretString, TokenSummary), TokenError> {
        let mut problems = Vec::new();
        let valid = name_is_valid(name);
        // Kept without the blanks around.
        let name = name.trim_matches(is_blank);
        if !valid {
            problems.push(FieldProblem::new(
                "name",
                "problem-token-name",
                "Give the token a name of 1 to 64 printable characters.",
            ));
        }
        let mut parsed = Vec::new();
        for raw in scopes {
            match Scope::parse(raw) {
                Some(scope) => parsed.push(scope),
                None => problems.push(
                    FieldProblem::new(
                        "scopes",
                        "problem-scope-unknown",
                        format!("Unknown scope {raw:?}; use read:me, write:me, admin or proxy."),
                    )
                    .with("scope", format!("{raw:?}")),
                ),
            }
        }
        parsed.sort();
        parsed.dedup();
        if scopes.is_empty() {
            problems.push(FieldProblem::new(
                "scopes",
                "problem-scope-missing",
                "Choose at least one scope: read:me, write:me, admin or proxy.",
            ));
        }
        if parsed.contains(&Scope::Admin) && !self.may_administer(owner) {
            problems.push(FieldProblem::new(
                "scopes",
                "problem-scope-admin",
                "Only administrators and staff (an account with an administrative permission) can create tokens with the admin scope.",
            ));
        }
        if !(1..=365).contains(&expires_in_days) {
            problems.push(FieldProblem::new(
                "expires_in_days",
                "problem-token-expiry",
                "Tokens expire after 1 to 365 days.",
            ));
        }
        if !problems.is_empty() {
            return Err(TokenError::Invalid(problems));
        }
        let secret = generate_pat();
        let now = self.clock.now();
        let summary = TokenSummary {
            id: TokenId(uuid::Uuid::new_v4().to_string()),
            name: name.to_owned(),
            scopes: parsed,
            created_at: now,
            expires_at: now + Duration::days(expires_in_days),
            last_used_at: None,
        };
        let event = self.audit.success(
            AuditKind::TokenCreated,
            owner,
            client,
            json!({
                "token_id": summary.id.0,
                "name": summary.name,
                "scopes": summary.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            }),
        );
        self.repo
            .insert_token(
                &NewApiToken {
                    summary: summary.clone(),
                    user_id: owner.id,
                    digest: TokenDigest::of(secret.expose_secret()),
                },
                &event,
            )
            .await?;
        self.audit.committed(&event).await;
        Ok((secret, summary))
    }

    /// The live token for a presented secret, or `None` (malformed, unknown,
    /// expired, revoked, or its owner locked).
    pub async fn resolve(&self, presented: &str) -> Result<Option<Arc<ApiToken>>, RepoError> {
        if !is_well_formed_pat(presented) {
            return Ok(None);
        }
        let digest = TokenDigest::of(presented);
        let now = self.clock.now();
        let ticket = self.gate.ticket();
        let cached = self
            .cache
            .read()
            .ok()
            .filter(|_| self.gate.is_on())
            .and_then(|cache| {
                cache
                    .get(&digest)
                    .filter(|c| now - c.fetched_at < self.cache_ttl)
                    .map(|c| c.token.clone())
            });
        let token = match cached {
            Some(token) => token,
            None => {
                let Some(found) = self.repo.find_token(&digest).await? else {
                    self.forget(&digest);
                    return Ok(None);
                };
                let token = Arc::new(found);
                // Recorded at most once per cache lifetime per token.
                self.repo.touch_token(&token.summary.id, now).await?;
                if let Ok(mut cache) = self.cache.write()
                    && self.gate.admits(ticket)
                {
                    if cache.len() > 100_000 {
                        cache.clear();
                    }
                    cache.insert(
                        digest,
                        Cached {
                            token: token.clone(),
                            fetched_at: now,
                        },
                    );
                }
                token
            }
        };
        if now >= token.summary.expires_at {
            self.forget(&digest);
            return Ok(None);
        }
        self.flood.signed_in_request();
        Ok(Some(token))
    }

    fn forget(&self, digest: &TokenDigest) {
        if let Ok(mut cache) = self.cache.write() {
            cache.remove(digest);
        }
    }

    /// The owner's tokens, newest first.
    pub async fn list(&self, owner: UserId) -> Result<Vec<TokenSummary>, RepoError> {
        self.repo.list_tokens(owner).await
    }

    /// Revokes every token of the owner at once (a password reset); returns
    /// how many there were.
    pub async fn revoke_all(&self, owner: UserId) -> Result<u64, RepoError> {
        let ended = self.repo.delete_user_tokens(owner).await?;
        self.forget_user(owner);
        Ok(ended)
    }

    /// Revokes one of the owner's tokens at once.
    pub async fn revoke(
        &self,
        owner: &User,
        id: &TokenId,
        client: &ClientMeta,
    ) -> Result<(), TokenError> {
        let event = self.audit.success(
            AuditKind::TokenRevoked,
            owner,
            client,
            json!({"token_id": id.0}),
        );
        if !self.repo.delete_token(owner.id, id, &event).await? {
            return Err(TokenError::NotFound);
        }
        if let Ok(mut cache) = self.cache.write() {
            cache.retain(|_, c| c.token.summary.id != *id);
        }
        self.audit.committed(&event).await;
        Ok(())
    }
}

/// Tokens are kept with their owner: a change to the account (roles
/// changed, account locked) drops them, so the next request re-reads it.
impl AccountCaching for TokenService {
    fn forget_user(&self, user: UserId) {
        if let Ok(mut cache) = self.cache.write() {
            self.gate.invalidate();
            cache.retain(|_, c| c.token.user.id != user);
        }
    }

    fn set_caching(&self, on: bool) {
        if let Ok(mut cache) = self.cache.write() {
            self.gate.set_on(on);
            cache.clear();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    proptest::proptest! {
        /// The documented name pattern and length accept exactly what the
        /// service accepts.
        #[test]
        fn name_pattern_agrees_with_the_rule(raw in "\\PC{0,70}|[ \u{feff}\u{3000}\t\n\u{7f}\u{85}a]{0,5}|\\p{Cc}{0,3}[a-z]{0,3}") {
            let pattern = regex::Regex::new(super::NAME_PATTERN).unwrap();
            let fits = pattern.is_match(&raw) && raw.chars().count() <= super::NAME_MAX_CHARS;
            proptest::prop_assert_eq!(fits, super::name_is_valid(&raw), "{:?}", raw);
        }
    }
}
