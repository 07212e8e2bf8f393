//! Server-side sessions: creation at login, the hot-path check of every
//! request, idle and absolute expiry, and revocation.
//!
//! A session is identified by an opaque 256-bit token that only the browser
//! (or API client) holds; the database stores its SHA-256 digest. Checking a
//! session is the hottest path in Rampart, so [`SessionService::resolve`]
//! answers from an in-process cache without touching the database, and
//! `last_seen` is written behind in batches at most once per
//! `touch_interval` per session. Revocation on this instance removes the
//! cache entry at once; other instances (and the CLI) are seen after at most
//! `cache_ttl`, when the entry is re-read from the database.

use crate::audit::{AuditTrail, ClientMeta, Outcome};
use crate::cache::CacheGate;
use crate::clock::Clock;
use crate::model::audit::AuditKind;
use crate::model::authn::{AuthMethods, SignInMethod};
pub use crate::model::session::{NewSession, Session, SessionId, SessionProof, StoredSession};
use crate::model::{User, UserId};
use crate::password::flood::FloodWatch;
use crate::ports::{RepoError, SessionRepo};
use rampart_crypto::{TokenDigest, generate_token};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use time::{Duration, OffsetDateTime};
use tokio::sync::mpsc;

/// Marks the token of a session started through the JSON API, so a browser
/// session's cookie value is never accepted as a bearer token (nor an API
/// token as a cookie): the prefix is covered by the stored digest, so it
/// cannot be added to or removed from a stolen token.
pub const API_SESSION_PREFIX: &str = "rms_";

/// Who holds a session's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// A browser, in the session cookie (session protection applies).
    Browser,
    /// An API client, as `Authorization: Bearer rms_…`.
    Api,
}

impl SessionKind {
    /// The kind of a presented token, when it is shaped like a session token.
    pub fn of_token(token: &str) -> Option<SessionKind> {
        match token.strip_prefix(API_SESSION_PREFIX) {
            Some(rest) if rampart_crypto::token::looks_like_token(rest) => Some(SessionKind::Api),
            Some(_) => None,
            None if rampart_crypto::token::looks_like_token(token) => Some(SessionKind::Browser),
            None => None,
        }
    }
}

/// How a session comes to be: who holds its token, and the remember-me
/// series that restored it, if one did.
struct Origin {
    kind: SessionKind,
    remember_series: Option<String>,
    methods: AuthMethods,
}

/// Session lifetimes and cache behaviour.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// A session unused for this long ends (default 1 h, NIST AAL2).
    pub idle_timeout: Duration,
    /// A session ends this long after sign-in, used or not (default 24 h).
    pub absolute_timeout: Duration,
    /// `last_seen` is written to the database at most this often per session.
    pub touch_interval: Duration,
    /// A cached session is re-read from the database after this long, so
    /// revocations made elsewhere take effect.
    pub cache_ttl: Duration,
    /// The most sessions kept in the cache.
    pub cache_capacity: usize,
    /// Sensitive actions need a sign-in or re-entry of the password within
    /// this long (default 10 minutes).
    pub fresh_for: Duration,
    /// What happens when a session's client changes.
    pub protection: Protection,
    /// The most sessions an account keeps (browser and API together); when
    /// a new one starts at the limit, the least recently started end.
    /// `None`: unlimited (the default).
    pub max_per_user: Option<u32>,
}

/// Session protection, like Flask-Login's: what happens when a session cookie
/// arrives from a client (user agent, /24 or /64 network) other than the one
/// that signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// Nothing.
    Off,
    /// The session stays, but is no longer fresh: sensitive actions ask for
    /// the password again (default).
    Basic,
    /// The session ends.
    Strong,
}

/// The outcome of checking a session's client.
#[derive(Debug)]
pub enum ClientCheck {
    /// Same client, or protection off: use this session.
    Same(Arc<Session>),
    /// Another client under `basic`: use this (no longer fresh) session.
    Stale(Arc<Session>),
    /// Another client under `strong`: the session has ended.
    Ended,
}

/// A digest of a client: its user agent and its network (/24 for IPv4, /64
/// for IPv6), so a phone moving between addresses of one network keeps its
/// session.
pub fn client_fingerprint(user_agent: Option<&str>, ip: Option<std::net::IpAddr>) -> String {
    let network = ip.map(crate::client::network_of).unwrap_or_default();
    // Hashed in pieces: this runs on every session check.
    TokenDigest::of_parts(&[
        user_agent.unwrap_or("").as_bytes(),
        b"\n",
        network.as_bytes(),
    ])
    .to_hex()
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::hours(1),
            absolute_timeout: Duration::hours(24),
            touch_interval: Duration::minutes(1),
            cache_ttl: Duration::seconds(10),
            max_per_user: None,
            cache_capacity: 100_000,
            fresh_for: Duration::minutes(10),
            protection: Protection::Basic,
        }
    }
}

enum Cached {
    Live(Arc<Session>),
    Expired(Arc<Session>),
    /// Past its cache lifetime: (last seen, last persisted) to carry over.
    Stale((i64, i64)),
    Missing,
}

struct CacheEntry {
    session: Arc<Session>,
    fetched_at: i64,
    last_seen: AtomicI64,
    persisted_last_seen: AtomicI64,
}

/// Creates, checks and ends sessions.
pub struct SessionService {
    repo: Arc<dyn SessionRepo>,
    clock: Arc<dyn Clock>,
    config: SessionConfig,
    cache: RwLock<HashMap<TokenDigest, CacheEntry>>,
    gate: CacheGate,
    touches: mpsc::Sender<(SessionId, OffsetDateTime)>,
    touch_queue: std::sync::Mutex<Option<mpsc::Receiver<(SessionId, OffsetDateTime)>>>,
    audit: Arc<AuditTrail>,
    /// Told of each live session resolved: signed-in people are being
    /// served (see `password::flood`).
    flood: Arc<FloodWatch>,
}

/// Why a session operation failed.
#[derive(Debug, thiserror::Error)]
#[error("session storage failed")]
pub struct SessionError(#[from] pub RepoError);

fn unix(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

fn from_unix(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl SessionService {
    /// A service over `repo`; call [`SessionService::run_maintenance`] in a
    /// background task to flush `last_seen` and purge expired sessions.
    pub fn new(
        repo: Arc<dyn SessionRepo>,
        clock: Arc<dyn Clock>,
        config: SessionConfig,
        audit: Arc<AuditTrail>,
    ) -> Self {
        let (touches, rx) = mpsc::channel(65_536);
        Self {
            repo,
            clock,
            config,
            cache: RwLock::new(HashMap::new()),
            gate: CacheGate::default(),
            touches,
            touch_queue: std::sync::Mutex::new(Some(rx)),
            audit,
            // Watched by nobody until `with_flood_watch`.
            flood: Arc::new(FloodWatch::default()),
        }
    }

    /// Tells `watch` of every live session resolved, so the last hashing
    /// thread leaves its core to signed-in people during a flood.
    pub fn with_flood_watch(mut self, watch: Arc<FloodWatch>) -> Self {
        self.flood = watch;
        self
    }

    /// Signs the session out (its owner asked): ends it and records `logout`.
    pub async fn sign_out(
        &self,
        session: &Session,
        client: &ClientMeta,
    ) -> Result<(), SessionError> {
        let event = self.audit.success(
            AuditKind::Logout,
            &session.user,
            client,
            json!({"session_id": session.id.0}),
        );
        self.cache_remove(&session.digest);
        if self.repo.delete_session(&session.id, Some(&event)).await? {
            self.audit.committed(&event).await;
        }
        Ok(())
    }

    /// Revokes the user's session with this id (`session.revoked`); false
    /// when the user has none.
    pub async fn revoke_by_id(
        &self,
        user: &User,
        id: &SessionId,
        client: &ClientMeta,
    ) -> Result<bool, SessionError> {
        let sessions = self.repo.list_user_sessions(user.id).await?;
        let Some(found) = sessions.into_iter().find(|s| s.session.id == *id) else {
            return Ok(false);
        };
        let event = self.audit.success(
            AuditKind::SessionRevoked,
            user,
            client,
            json!({"session_id": id.0}),
        );
        self.cache_remove(&found.session.digest);
        let ended = self
            .repo
            .delete_session(&found.session.id, Some(&event))
            .await?;
        if ended {
            self.audit.committed(&event).await;
        }
        Ok(ended)
    }

    /// Revokes every session of the user but `keep` (`session.revoked`).
    pub async fn revoke_all_except(
        &self,
        user: &User,
        keep: Option<&SessionId>,
        client: &ClientMeta,
    ) -> Result<(), SessionError> {
        let event = self.audit.success(
            AuditKind::SessionRevoked,
            user,
            client,
            json!({"scope": if keep.is_some() { "others" } else { "all" }}),
        );
        self.repo
            .delete_user_sessions(user.id, keep, Some(&event))
            .await?;
        self.forget_user_except(user.id, keep);
        self.audit.committed(&event).await;
        Ok(())
    }

    /// Signs `user` (or, with `None`, every account) out everywhere: every
    /// session, remember-me series and known device ends, recorded as
    /// `sessions.revoked_all` with who did it (`who`, e.g. `operator` or
    /// `administrator NAME`). Returns how many sessions ended.
    pub async fn sign_out_everywhere(
        &self,
        user: Option<&User>,
        who: &str,
        by: &ClientMeta,
    ) -> Result<u64, SessionError> {
        let event = self.audit.event_about(
            AuditKind::SessionsRevokedAll,
            user.map(|u| u.id),
            user.map(|u| u.username.as_str()),
            by,
            Outcome::Success,
            json!({"scope": if user.is_some() { "account" } else { "everyone" }, "by": who}),
        );
        let ended = self
            .repo
            .sign_out_everywhere(user.map(|u| u.id), &event)
            .await?;
        match user {
            Some(user) => self.forget_user(user.id),
            None => self.forget_everyone(),
        }
        self.audit.committed(&event).await;
        Ok(ended)
    }

    fn forget_everyone(&self) {
        if let Ok(mut cache) = self.cache.write() {
            cache.clear();
        }
    }

    /// The configured lifetimes.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Starts a session for `user`; returns the token to hand to the client
    /// (once) and the session.
    pub async fn create(
        &self,
        user: User,
        ip: Option<String>,
        user_agent: Option<String>,
        methods: AuthMethods,
    ) -> Result<(SecretString, Arc<Session>), SessionError> {
        self.insert(
            user,
            ip,
            user_agent,
            None,
            Origin {
                kind: SessionKind::Browser,
                remember_series: None,
                methods,
            },
            None,
        )
        .await
    }

    /// Signs a browser in again from a remember-me `series`: a new session
    /// that is not fresh (a cookie proved nothing; sensitive actions ask for
    /// the password) and remembers its series; `login.succeeded` by
    /// `remember_me` is written with it. The request counts as signed-in
    /// traffic for the flood rule (`password::flood`).
    pub async fn restore(
        &self,
        user: User,
        client: &ClientMeta,
        series: &str,
    ) -> Result<(SecretString, Arc<Session>), SessionError> {
        let origin = Origin {
            kind: SessionKind::Browser,
            remember_series: Some(series.to_owned()),
            methods: AuthMethods::of(SignInMethod::RememberMe),
        };
        let restored = self
            .signed_in(
                user,
                client,
                SignInMethod::RememberMe,
                "remember_me",
                origin,
            )
            .await?;
        // The request that restored it is served signed in: the flood
        // rule counts it now, as it counts a request its session resolves.
        self.flood.signed_in_request();
        Ok(restored)
    }

    /// Records that `session` came with the remember-me `series` (a sign-in
    /// that asked to be remembered).
    pub async fn attach_series(&self, session: &Session, series: &str) -> Result<(), SessionError> {
        self.repo.set_session_series(&session.id, series).await?;
        Ok(())
    }

    /// Ends every session the remember-me `series` of `user` started (the
    /// series was stolen).
    pub async fn end_series(&self, user: UserId, series: &str) -> Result<u64, SessionError> {
        let ended = self.repo.delete_series_sessions(user, series).await?;
        self.forget_user(user);
        Ok(ended)
    }

    /// A completed sign-in (every factor proved) by `method` (`password`,
    /// `password+totp`, `password+recovery_code`, `remember_me`, `oidc`, …)
    /// whose first factor `source` proved (`local`, `ldap`, `oidc:<id>`): a
    /// new session and its `login.succeeded` event, in one transaction.
    /// `kind` says who will hold the token (its shape differs).
    pub async fn sign_in(
        &self,
        user: User,
        client: &ClientMeta,
        method: SignInMethod,
        source: &str,
        kind: SessionKind,
    ) -> Result<(SecretString, Arc<Session>), SessionError> {
        let origin = Origin {
            kind,
            remember_series: None,
            methods: AuthMethods::of(method),
        };
        self.signed_in(user, client, method, source, origin).await
    }

    /// A new session of `origin` and its `login.succeeded` event, in one
    /// transaction.
    async fn signed_in(
        &self,
        user: User,
        client: &ClientMeta,
        method: SignInMethod,
        source: &str,
        origin: Origin,
    ) -> Result<(SecretString, Arc<Session>), SessionError> {
        let event = self.audit.success(
            AuditKind::LoginSucceeded,
            &user,
            client,
            json!({"method": method.as_str(), "source": source}),
        );
        let started = self
            .insert(
                user,
                client.ip.map(|ip| ip.to_string()),
                client.user_agent.clone(),
                Some(&event),
                origin,
                client.language.clone(),
            )
            .await?;
        self.audit.committed(&event).await;
        Ok(started)
    }

    async fn insert(
        &self,
        user: User,
        ip: Option<String>,
        user_agent: Option<String>,
        event: Option<&crate::audit::AuditEvent>,
        origin: Origin,
        language: Option<String>,
    ) -> Result<(SecretString, Arc<Session>), SessionError> {
        let token = match origin.kind {
            SessionKind::Browser => generate_token(),
            SessionKind::Api => SecretString::from(format!(
                "{API_SESSION_PREFIX}{}",
                generate_token().expose_secret()
            )),
        };
        let digest = TokenDigest::of(token.expose_secret());
        let now = self.clock.now();
        let fingerprint = client_fingerprint(
            user_agent.as_deref(),
            ip.as_deref().and_then(|ip| ip.parse().ok()),
        );
        let user_agent = user_agent.map(|ua| ua.chars().take(512).collect::<String>());
        let new = NewSession {
            id: SessionId::new(),
            digest,
            user_id: user.id,
            created_at: now,
            expires_at: now + self.config.absolute_timeout,
            ip,
            user_agent,
            fingerprint,
            fresh: origin.remember_series.is_none(),
            remember_series: origin.remember_series,
            methods: origin.methods,
            language,
        };
        self.repo.insert_session(&new, event).await?;
        if let Some(max) = self.config.max_per_user {
            // At the limit, the oldest of the account's sessions end.
            let ended = self
                .repo
                .keep_newest_sessions(new.user_id, &new.id, max)
                .await?;
            if ended > 0 {
                tracing::info!(user_id = %new.user_id, ended, "oldest sessions ended: session.max_per_user reached");
                self.forget_user_except(new.user_id, Some(&new.id));
            }
        }
        let fresh_at = new.fresh_at();
        let session = Arc::new(Session {
            id: new.id,
            digest,
            user,
            created_at: new.created_at,
            expires_at: new.expires_at,
            ip: new.ip,
            user_agent: new.user_agent,
            fresh_at,
            fingerprint: new.fingerprint,
            methods: new.methods,
        });
        // Not cached here: the user was read before the password check (or
        // the second factor), and a lock or a role change may have landed
        // since. The first request reads the session with its user afresh.
        Ok((token, session))
    }

    fn is_expired(&self, session: &Session, last_seen: i64, now: i64) -> bool {
        now >= unix(session.expires_at)
            || now >= last_seen + self.config.idle_timeout.whole_seconds()
    }

    /// The live session for a token, or `None` when it is unknown, expired or
    /// revoked. Expired sessions are deleted on the way.
    pub async fn resolve(
        &self,
        digest: &TokenDigest,
    ) -> Result<Option<Arc<Session>>, SessionError> {
        let now = unix(self.clock.now());
        let previous_last_seen = match self.check_cached(digest, now) {
            Cached::Live(session) => {
                self.flood.signed_in_request();
                return Ok(Some(session));
            }
            Cached::Expired(session) => {
                self.end(&session).await?;
                return Ok(None);
            }
            Cached::Stale(seen) => Some(seen),
            Cached::Missing => None,
        };
        let ticket = self.gate.ticket();
        let Some(stored) = self.repo.find_session(digest).await? else {
            self.cache_remove(digest);
            return Ok(None);
        };
        let (cached_seen, persisted) = previous_last_seen.unwrap_or((i64::MIN, i64::MIN));
        let db_seen = unix(stored.last_seen_at);
        let last_seen = db_seen.max(cached_seen);
        let session = Arc::new(stored.session);
        if self.is_expired(&session, last_seen, now) {
            self.end(&session).await?;
            return Ok(None);
        }
        if self.cache_insert(
            ticket,
            session.clone(),
            now,
            last_seen,
            db_seen.max(persisted),
        ) {
            // Record this request's activity like a cache hit would.
            let _ = self.check_cached(digest, now);
        } else if now - db_seen >= self.config.touch_interval.whole_seconds() {
            // Not cached (an invalidation raced this read, or the cache is
            // off) and the stored activity is old: it is written now, not
            // behind, or the next read (which finds no cache entry either)
            // would miss it and could end the session as idle. At most once
            // per touch interval per session, and a failed write only delays
            // it (the request itself was answered from a good read).
            let seen = [(session.id.clone(), from_unix(now))];
            if let Err(err) = self.repo.touch_sessions(&seen).await {
                tracing::warn!(error = %err, "could not record a session's activity; queued");
                let _ = self.touches.try_send(seen[0].clone());
            }
        }
        self.flood.signed_in_request();
        Ok(Some(session))
    }

    /// The cache's answer for a digest; never awaits, so no lock is held
    /// across a database call.
    fn check_cached(&self, digest: &TokenDigest, now: i64) -> Cached {
        let Ok(cache) = self.cache.read() else {
            return Cached::Missing;
        };
        let Some(entry) = cache.get(digest) else {
            return Cached::Missing;
        };
        let last_seen = entry.last_seen.load(Ordering::Acquire);
        // Past its lifetime, marked stale by an invalidation, or the cache is
        // off: re-read, carrying over the activity only the cache knows.
        if !self.gate.is_on()
            || now.saturating_sub(entry.fetched_at) >= self.config.cache_ttl.whole_seconds()
        {
            return Cached::Stale((last_seen, entry.persisted_last_seen.load(Ordering::Acquire)));
        }
        if self.is_expired(&entry.session, last_seen, now) {
            return Cached::Expired(entry.session.clone());
        }
        entry.last_seen.fetch_max(now, Ordering::AcqRel);
        self.maybe_touch(entry, now);
        Cached::Live(entry.session.clone())
    }

    fn maybe_touch(&self, entry: &CacheEntry, now: i64) {
        let persisted = entry.persisted_last_seen.load(Ordering::Acquire);
        if now - persisted < self.config.touch_interval.whole_seconds() {
            return;
        }
        if entry
            .persisted_last_seen
            .compare_exchange(persisted, now, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
            && self
                .touches
                .try_send((entry.session.id.clone(), from_unix(now)))
                .is_err()
        {
            // Queue full: let a later request try again.
            entry
                .persisted_last_seen
                .store(persisted, Ordering::Release);
        }
    }

    /// Caches a session read under `ticket` (unless the cache was
    /// invalidated or turned off since); true when it did.
    fn cache_insert(
        &self,
        ticket: u64,
        session: Arc<Session>,
        fetched_at: i64,
        last_seen: i64,
        persisted: i64,
    ) -> bool {
        let Ok(mut cache) = self.cache.write() else {
            return false;
        };
        if !self.gate.admits(ticket) {
            return false;
        }
        if cache.len() >= self.config.cache_capacity {
            let now = unix(self.clock.now());
            cache.retain(|_, e| {
                !self.is_expired(&e.session, e.last_seen.load(Ordering::Acquire), now)
            });
            if cache.len() >= self.config.cache_capacity {
                // Still full of live sessions: start over; misses re-read the store.
                cache.clear();
            }
        }
        cache.insert(
            session.digest,
            CacheEntry {
                session,
                fetched_at,
                last_seen: AtomicI64::new(last_seen),
                persisted_last_seen: AtomicI64::new(persisted),
            },
        );
        true
    }

    fn cache_remove(&self, digest: &TokenDigest) {
        if let Ok(mut cache) = self.cache.write() {
            cache.remove(digest);
        }
    }

    /// True when the session proved the password recently enough for a
    /// sensitive action.
    pub fn is_fresh(&self, session: &Session) -> bool {
        self.clock.now() - session.fresh_at < self.config.fresh_for
    }

    /// The session's holder just proved themselves again (by `methods`,
    /// added to what the session had), from the client with `fingerprint`
    /// (which becomes the session's client): the session is fresh and gets
    /// a new token, returned for the browser (the old one no longer works).
    /// Recorded as `login.succeeded` with `"reauthentication": true` and
    /// the methods proved.
    pub async fn proved_again(
        &self,
        session: &Session,
        client: &ClientMeta,
        fingerprint: &str,
        methods: AuthMethods,
    ) -> Result<SecretString, SessionError> {
        let token = generate_token();
        let proof = SessionProof {
            digest: TokenDigest::of(token.expose_secret()),
            fresh_at: self.clock.now(),
            fingerprint: fingerprint.to_owned(),
            methods,
        };
        let event = self.audit.success(
            AuditKind::LoginSucceeded,
            &session.user,
            client,
            json!({"reauthentication": true, "methods": methods.to_list()}),
        );
        let rotated = self
            .repo
            .set_session_proof(&session.id, &session.digest, &proof, Some(&event))
            .await?;
        self.cache_remove(&session.digest);
        if !rotated {
            // Ended, or rotated by a concurrent request: this proof is void.
            return Err(SessionError(RepoError::Unavailable(
                "the session changed while it was being proved again".into(),
            )));
        }
        self.audit.committed(&event).await;
        Ok(token)
    }

    /// A second factor was just proved in `session` (its holder enrolled
    /// one): the session counts it, keeping its token (an API client's
    /// token must go on working).
    pub async fn add_methods(
        &self,
        session: &Session,
        methods: AuthMethods,
    ) -> Result<(), SessionError> {
        let proof = SessionProof {
            methods,
            ..session.proof()
        };
        // Nothing changes when a concurrent request rotated the token.
        self.repo
            .set_session_proof(&session.id, &session.digest, &proof, None)
            .await?;
        self.cache_remove(&session.digest);
        Ok(())
    }

    /// Applies session protection to a browser session seen from the client
    /// whose fingerprint `fingerprint` computes (only when protection is on).
    pub async fn check_client(
        &self,
        session: Arc<Session>,
        fingerprint: impl FnOnce() -> String,
    ) -> Result<ClientCheck, SessionError> {
        // The fingerprint is only computed when protection is on.
        if self.config.protection == Protection::Off || session.fingerprint == fingerprint() {
            return Ok(ClientCheck::Same(session));
        }
        if self.config.protection == Protection::Strong {
            tracing::info!(user_id = %session.user.id, "session ended: it came from another client (strong protection)");
            self.end(&session).await?;
            return Ok(ClientCheck::Ended);
        }
        if session.fresh_at > OffsetDateTime::UNIX_EPOCH {
            let proof = SessionProof {
                fresh_at: OffsetDateTime::UNIX_EPOCH,
                ..session.proof()
            };
            // Nothing changes when a concurrent request rotated the token.
            self.repo
                .set_session_proof(&session.id, &session.digest, &proof, None)
                .await?;
            self.cache_remove(&session.digest);
        }
        let stale = Session {
            fresh_at: OffsetDateTime::UNIX_EPOCH,
            ..(*session).clone()
        };
        Ok(ClientCheck::Stale(Arc::new(stale)))
    }

    /// Turns the cache on or off (off while changes made elsewhere cannot be
    /// heard); either way every entry is re-read before it answers again.
    pub fn set_caching(&self, on: bool) {
        if let Ok(mut cache) = self.cache.write() {
            self.gate.set_on(on);
            // Stale, not dropped: the next request re-reads each session and
            // keeps the activity only the cache has seen.
            for entry in cache.values_mut() {
                entry.fetched_at = i64::MIN;
            }
        }
    }

    /// How many sessions the cache holds now.
    pub fn cached_sessions(&self) -> usize {
        self.cache.read().map_or(0, |cache| cache.len())
    }

    /// Marks every cached session of a user stale, so their next requests re-read
    /// the user (after a change of address or roles).
    pub fn forget_user(&self, user: UserId) {
        self.forget_user_except(user, None);
    }

    /// Drops a session from the cache so the next request re-reads it (and
    /// its user) from the store.
    pub fn forget_cached(&self, digest: &TokenDigest) {
        self.cache_remove(digest);
    }

    /// Ends one session at once (logout, revocation, expiry).
    pub async fn end(&self, session: &Session) -> Result<(), SessionError> {
        self.cache_remove(&session.digest);
        self.repo.delete_session(&session.id, None).await?;
        Ok(())
    }

    /// A user's live sessions, most recently seen first.
    pub async fn list_for_user(&self, user: UserId) -> Result<Vec<StoredSession>, SessionError> {
        let now = unix(self.clock.now());
        let mut sessions = self.repo.list_user_sessions(user).await?;
        for stored in &mut sessions {
            // The cache knows about activity not yet written behind.
            if let Ok(cache) = self.cache.read()
                && let Some(entry) = cache.get(&stored.session.digest)
            {
                let seen = entry
                    .last_seen
                    .load(Ordering::Acquire)
                    .max(unix(stored.last_seen_at));
                stored.last_seen_at = from_unix(seen);
            }
        }
        sessions.retain(|s| !self.is_expired(&s.session, unix(s.last_seen_at), now));
        Ok(sessions)
    }

    /// Ends every session of the user but `keep` (all of them without one);
    /// returns how many.
    pub async fn end_all_except(
        &self,
        user: UserId,
        keep: Option<&SessionId>,
    ) -> Result<u64, SessionError> {
        let ended = self.repo.delete_user_sessions(user, keep, None).await?;
        self.forget_user_except(user, keep);
        Ok(ended)
    }

    /// Marks a user's cached sessions stale (all but `keep`): the next
    /// request re-reads each (ended, locked, new roles…) and keeps the
    /// activity only the cache has seen, so the user's other sessions do
    /// not lose their idle time.
    fn forget_user_except(&self, user: UserId, keep: Option<&SessionId>) {
        if let Ok(mut cache) = self.cache.write() {
            self.gate.invalidate();
            for entry in cache.values_mut() {
                if entry.session.user.id == user && Some(&entry.session.id) != keep {
                    entry.fetched_at = i64::MIN;
                }
            }
        }
    }

    /// Flushes `last_seen` updates in batches and purges expired sessions.
    /// Runs until `shutdown` resolves, then flushes once more.
    pub async fn run_maintenance(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>) {
        let Some(mut rx) = self.touch_queue.lock().ok().and_then(|mut q| q.take()) else {
            return;
        };
        let mut flush = tokio::time::interval(std::time::Duration::from_secs(1));
        let mut purge = tokio::time::interval(std::time::Duration::from_secs(300));
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = flush.tick() => self.flush_touches(&mut rx).await,
                _ = purge.tick() => self.purge_expired().await,
                () = &mut shutdown => {
                    self.flush_touches(&mut rx).await;
                    return;
                }
            }
        }
    }

    async fn flush_touches(&self, rx: &mut mpsc::Receiver<(SessionId, OffsetDateTime)>) {
        let mut latest: HashMap<SessionId, OffsetDateTime> = HashMap::new();
        while let Ok((id, seen)) = rx.try_recv() {
            let slot = latest.entry(id).or_insert(seen);
            *slot = (*slot).max(seen);
        }
        if latest.is_empty() {
            return;
        }
        let batch: Vec<_> = latest.into_iter().collect();
        if let Err(err) = self.repo.touch_sessions(&batch).await {
            tracing::warn!(error = %err, count = batch.len(), "could not record session activity; will retry with the next request");
        }
    }

    async fn purge_expired(&self) {
        let now = self.clock.now();
        match self
            .repo
            .delete_expired_sessions(now, now - self.config.idle_timeout)
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::debug!(count = n, "purged expired sessions"),
            Err(err) => tracing::warn!(error = %err, "could not purge expired sessions"),
        }
    }
}

impl crate::coherence::AccountCaching for SessionService {
    fn forget_user(&self, user: UserId) {
        SessionService::forget_user(self, user);
    }

    fn set_caching(&self, on: bool) {
        SessionService::set_caching(self, on);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::client_fingerprint;

    /// The stored form: SHA-256 of the user agent, a line break and the
    /// network, in hex. Sessions keep it in the database, so a change to
    /// how it is worked out would end them all under strong protection.
    #[test]
    fn a_fingerprint_is_the_digest_of_agent_and_network() {
        assert_eq!(
            client_fingerprint(Some("Firefox/128"), Some("203.0.113.5".parse().unwrap())),
            rampart_crypto::TokenDigest::of("Firefox/128\n203.0.113.0/24").to_hex()
        );
        assert_eq!(
            client_fingerprint(None, None),
            // SHA-256 of "\n".
            "01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b"
        );
    }

    #[test]
    fn fingerprints_follow_user_agent_and_network() {
        let ua = Some("Firefox/128");
        let a = client_fingerprint(ua, Some("203.0.113.5".parse().unwrap()));
        assert_eq!(
            a,
            client_fingerprint(ua, Some("203.0.113.200".parse().unwrap())),
            "same /24"
        );
        assert_ne!(
            a,
            client_fingerprint(ua, Some("203.0.114.5".parse().unwrap())),
            "other /24"
        );
        assert_ne!(
            a,
            client_fingerprint(Some("Chrome/120"), Some("203.0.113.5".parse().unwrap()))
        );
        let v6 = client_fingerprint(ua, Some("2001:db8:1:2:aaaa::1".parse().unwrap()));
        assert_eq!(
            v6,
            client_fingerprint(ua, Some("2001:db8:1:2:bbbb::9".parse().unwrap())),
            "same /64"
        );
        assert_ne!(
            v6,
            client_fingerprint(ua, Some("2001:db8:1:3::1".parse().unwrap()))
        );
    }
}
