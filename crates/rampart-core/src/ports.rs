//! The traits the domain needs from the outside world. `rampart-store`
//! implements the repositories for SQLite and PostgreSQL; tests may implement
//! them too. Nothing here knows SQL.
//!
//! A method that makes an audited change takes the event that records it
//! (`audit`) and writes it in the same transaction as the change, or not at
//! all when nothing changed (see [`crate::audit`]).

use crate::model::audit::{AuditEvent, AuditKind, EventPlace, EventQuery, StoredEvent};
use crate::model::identity::{ExternalProfile, LinkedIdentity, NewIdentity};
use crate::model::mail::{OutgoingMail, QueuedMail};
use crate::model::mfa::StoredRecoveryCode;
use crate::model::passkey::{PasskeyId, PasskeyRecord, PendingCeremony, Removal};
use crate::model::provider::PendingLogin;
use crate::model::recovery::{Purpose, Redeemed};
use crate::model::remember::RememberRecord;
use crate::model::session::{NewSession, SessionId, SessionProof, StoredSession};
use crate::model::throttle::Counter;
use crate::model::token::{ApiToken, NewApiToken, TokenId, TokenSummary};
use crate::model::{Email, NewUser, RoleName, User, UserCredentials, UserId};
use async_trait::async_trait;
use rampart_crypto::TokenDigest;
use time::OffsetDateTime;

/// Rules applied to every committed audit event (the alerts mail the
/// owner of a locked account, a new sign-in, …). The trail calls them
/// through this trait, so it does not depend on what they do.
#[async_trait]
pub trait EventRules: Send + Sync + 'static {
    /// Acts on `event` (queues a mail or a webhook, or nothing).
    async fn consider(&self, event: &AuditEvent) -> Result<(), RepoError>;
}

/// Which unique field a write collided with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueField {
    /// The case-insensitive username.
    Username,
    /// The case-insensitive e-mail address.
    Email,
    /// Some other unique key.
    Other,
}

/// A storage failure, in terms the domain can act on.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// A unique constraint refused the write.
    #[error("a record with the same {0:?} already exists")]
    Conflict(UniqueField),
    /// The database could not be reached or failed.
    #[error("the database is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// How a login name is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginKey<'a> {
    /// A lower-cased username.
    Username(&'a str),
    /// A lower-cased e-mail address.
    Email(&'a str),
}

/// An account as the administrators' list shows it.
#[derive(Debug, Clone)]
pub struct UserOverview {
    /// The account.
    pub user: User,
    /// Whether a second factor is enabled.
    pub mfa_enabled: bool,
}

/// Totals for the administrators' dashboard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountCounts {
    /// Every account.
    pub total: i64,
    /// Accounts locked by an operator.
    pub locked: i64,
    /// Accounts with a second factor.
    pub mfa: i64,
}

/// Accounts.
#[async_trait]
pub trait UserRepo: Send + Sync + 'static {
    /// Accounts whose username or e-mail contains `search` (case-insensitive;
    /// every account without one), ordered by username, `limit` from
    /// `offset`; and how many match in all.
    async fn search_users(
        &self,
        search: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<UserOverview>, i64), RepoError>;
    /// How many unlocked accounts hold `role`.
    async fn count_with_role(&self, role: &str) -> Result<i64, RepoError>;
    /// The role names some account holds, sorted (at most 200).
    async fn roles_in_use(&self) -> Result<Vec<String>, RepoError>;
    /// Totals for the dashboard.
    async fn account_counts(&self) -> Result<AccountCounts, RepoError>;
    /// Creates an account and its first passkey (its only way in) in one
    /// transaction, with their events.
    async fn insert_user_with_passkey(
        &self,
        new: &NewUser,
        passkey: &PasskeyRecord,
        audit: &[&AuditEvent],
    ) -> Result<(), RepoError>;
    /// Creates an account; a taken username or e-mail is a
    /// [`RepoError::Conflict`] raised by the database's unique index.
    async fn insert_user(&self, new: &NewUser, audit: &AuditEvent) -> Result<(), RepoError>;
    /// Creates many accounts, each with its event, in one transaction: a row
    /// that collides is refused alone (its outcome), the others are kept.
    async fn insert_users(
        &self,
        batch: &[(NewUser, AuditEvent)],
    ) -> Result<Vec<Result<(), RepoError>>, RepoError>;
    /// The account and its password hash for a login name.
    async fn find_credentials(
        &self,
        key: LoginKey<'_>,
    ) -> Result<Option<UserCredentials>, RepoError>;
    /// An account by its case-insensitive username.
    async fn find_by_username(&self, username_key: &str) -> Result<Option<User>, RepoError>;
    /// An account by id.
    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, RepoError>;
    /// Replaces the address (verified); a taken address is a conflict.
    async fn change_email(&self, id: UserId, email: &Email) -> Result<(), RepoError>;
    /// Marks the address verified if it is still `email_key`; false otherwise.
    async fn mark_email_verified(
        &self,
        id: UserId,
        email_key: &str,
        audit: &AuditEvent,
    ) -> Result<bool, RepoError>;
    /// Every account, ordered by username.
    async fn list_users(&self) -> Result<Vec<User>, RepoError>;
    /// Replaces the password hash (`audit` is `None` for a silent upgrade of
    /// the same password to current parameters).
    async fn set_password_hash(
        &self,
        id: UserId,
        hash: &str,
        audit: Option<&AuditEvent>,
    ) -> Result<(), RepoError>;
    /// Replaces the password hash only while it is still `old` (a re-hash
    /// after sign-in must not undo a password changed meanwhile); true when
    /// it did.
    async fn upgrade_password_hash(
        &self,
        id: UserId,
        old: &str,
        new: &str,
    ) -> Result<bool, RepoError>;
    /// Sets or clears "must choose a new password first".
    async fn set_must_change_password(&self, id: UserId, must: bool) -> Result<(), RepoError>;
    /// The language of the account's mails (`None`: the site's default).
    async fn language(&self, id: UserId) -> Result<Option<String>, RepoError>;
    /// Sets the language of the account's mails.
    async fn set_language(&self, id: UserId, language: &str) -> Result<(), RepoError>;
    /// Locks or unlocks an account; a lock ends its sessions in the same
    /// transaction.
    async fn set_locked(
        &self,
        id: UserId,
        locked: bool,
        audit: &AuditEvent,
    ) -> Result<(), RepoError>;
    /// Replaces the account's roles.
    async fn set_roles(
        &self,
        id: UserId,
        roles: &[RoleName],
        audit: &AuditEvent,
    ) -> Result<(), RepoError>;
    /// Deletes the account and everything that hangs off it.
    async fn delete_user(&self, id: UserId, audit: &AuditEvent) -> Result<(), RepoError>;
}

/// Server-side sessions, keyed by the digest of their token.
#[async_trait]
pub trait SessionRepo: Send + Sync + 'static {
    /// Stores a new session (`audit`: the sign-in it starts, if any).
    async fn insert_session(
        &self,
        new: &NewSession,
        audit: Option<&AuditEvent>,
    ) -> Result<(), RepoError>;
    /// The session with this token digest, with its user.
    async fn find_session(&self, digest: &TokenDigest) -> Result<Option<StoredSession>, RepoError>;
    /// Replaces what the session has proved (its token digest, freshness,
    /// client and methods), only while its token is still `expected` (a
    /// concurrent re-authentication rotated it otherwise); false when not.
    /// `audit` is written with the change, in its transaction.
    async fn set_session_proof(
        &self,
        id: &SessionId,
        expected: &TokenDigest,
        proof: &SessionProof,
        audit: Option<&AuditEvent>,
    ) -> Result<bool, RepoError>;
    /// Deletes one session; false when there was none.
    async fn delete_session(
        &self,
        id: &SessionId,
        audit: Option<&AuditEvent>,
    ) -> Result<bool, RepoError>;
    /// Signs `user` (or, with `None`, every account) out everywhere, with
    /// `audit`, in one transaction: every session and remember-me series
    /// ends, and the sign-out epoch rises (known devices end); returns how
    /// many sessions ended.
    async fn sign_out_everywhere(
        &self,
        user: Option<UserId>,
        audit: &AuditEvent,
    ) -> Result<u64, RepoError>;
    /// Records the remember-me series a session came with.
    async fn set_session_series(&self, id: &SessionId, series: &str) -> Result<(), RepoError>;
    /// Deletes the sessions of `user` beyond the `max` most recently started
    /// ones, never `newest`; returns how many ended.
    async fn keep_newest_sessions(
        &self,
        user: UserId,
        newest: &SessionId,
        max: u32,
    ) -> Result<u64, RepoError>;
    /// Deletes every session of a user but `keep`; returns how many.
    async fn delete_user_sessions(
        &self,
        user: UserId,
        keep: Option<&SessionId>,
        audit: Option<&AuditEvent>,
    ) -> Result<u64, RepoError>;
    /// Records when sessions were last seen (write-behind batches).
    async fn touch_sessions(&self, seen: &[(SessionId, OffsetDateTime)]) -> Result<(), RepoError>;
    /// A user's sessions, most recently seen first.
    async fn list_user_sessions(&self, user: UserId) -> Result<Vec<StoredSession>, RepoError>;
    /// Deletes the sessions of `user` that the remember-me `series` started;
    /// returns how many.
    async fn delete_series_sessions(&self, user: UserId, series: &str) -> Result<u64, RepoError>;
    /// Sessions not past their absolute expiry.
    async fn count_live_sessions(&self, now: OffsetDateTime) -> Result<i64, RepoError>;
    /// Deletes sessions past their absolute expiry or idle since before `idle_cutoff`.
    async fn delete_expired_sessions(
        &self,
        now: OffsetDateTime,
        idle_cutoff: OffsetDateTime,
    ) -> Result<u64, RepoError>;
}

/// Personal access tokens, keyed by the digest of their secret.
#[async_trait]
pub trait TokenRepo: Send + Sync + 'static {
    /// Stores a new token.
    async fn insert_token(&self, new: &NewApiToken, audit: &AuditEvent) -> Result<(), RepoError>;
    /// The token with this digest and its (unlocked) owner.
    async fn find_token(&self, digest: &TokenDigest) -> Result<Option<ApiToken>, RepoError>;
    /// A user's tokens, newest first.
    async fn list_tokens(&self, owner: UserId) -> Result<Vec<TokenSummary>, RepoError>;
    /// Deletes a token of this owner; false when there was none.
    async fn delete_token(
        &self,
        owner: UserId,
        id: &TokenId,
        audit: &AuditEvent,
    ) -> Result<bool, RepoError>;
    /// Records a use.
    async fn touch_token(&self, id: &TokenId, at: OffsetDateTime) -> Result<(), RepoError>;
    /// Deletes every token of this owner; returns how many there were.
    async fn delete_user_tokens(&self, owner: UserId) -> Result<u64, RepoError>;
}

/// One-time tokens for mailed links, keyed by digest.
#[async_trait]
pub trait OneTimeTokenRepo: Send + Sync + 'static {
    /// Stores a token.
    async fn insert_one_time(
        &self,
        digest: &TokenDigest,
        purpose: Purpose,
        user: UserId,
        email: &str,
        expires_at: OffsetDateTime,
        audit: Option<&AuditEvent>,
    ) -> Result<(), RepoError>;
    /// The live token's owner, without using it up.
    async fn peek_one_time(
        &self,
        digest: &TokenDigest,
        purpose: Purpose,
        now: OffsetDateTime,
    ) -> Result<Option<Redeemed>, RepoError>;
    /// Deletes and returns a live token in one statement (single use).
    async fn take_one_time(
        &self,
        digest: &TokenDigest,
        purpose: Purpose,
        now: OffsetDateTime,
    ) -> Result<Option<Redeemed>, RepoError>;
    /// The expiry of the user's newest token for a purpose.
    async fn newest_one_time_expiry(
        &self,
        user: UserId,
        purpose: Purpose,
    ) -> Result<Option<OffsetDateTime>, RepoError>;
    /// Deletes every token of a user for a purpose.
    async fn delete_one_time_for_user(
        &self,
        user: UserId,
        purpose: Purpose,
    ) -> Result<(), RepoError>;
}

/// The mail outbox.
#[async_trait]
pub trait OutboxRepo: Send + Sync + 'static {
    /// Queues a mail for delivery from `now` on.
    async fn enqueue(&self, mail: &OutgoingMail, now: OffsetDateTime) -> Result<(), RepoError>;
    /// Claims mails due for (another) attempt, oldest first: each is hidden
    /// from every other claimer (other instances) until `lease_until`, so one
    /// sender sends it; a claimer that vanishes leaves it for a retry then.
    async fn claim_due(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<QueuedMail>, RepoError>;
    /// Removes a delivered mail (its link goes with it).
    async fn delivered(&self, id: &str) -> Result<(), RepoError>;
    /// Records a failed attempt and when to try again.
    async fn failed(
        &self,
        id: &str,
        next_attempt_at: OffsetDateTime,
        error: &str,
    ) -> Result<(), RepoError>;
}

/// Remember-me tokens.
#[async_trait]
pub trait RememberRepo: Send + Sync + 'static {
    /// Stores a token.
    async fn insert_remember(&self, record: &RememberRecord) -> Result<(), RepoError>;
    /// The token with this selector.
    async fn find_remember(&self, selector: &str) -> Result<Option<RememberRecord>, RepoError>;
    /// Marks a token used; false when it already was.
    async fn mark_remember_rotated(
        &self,
        selector: &str,
        at: OffsetDateTime,
    ) -> Result<bool, RepoError>;
    /// Deletes a whole series.
    async fn delete_remember_series(
        &self,
        series: &str,
        audit: Option<&AuditEvent>,
    ) -> Result<(), RepoError>;
    /// Deletes every series of a user.
    async fn delete_remember_for_user(&self, user: UserId) -> Result<(), RepoError>;
}

/// Failed sign-in counters.
#[async_trait]
pub trait ThrottleRepo: Send + Sync + 'static {
    /// The counters under `keys` (at most 6), in one query.
    async fn throttle_counters(&self, keys: &[&str]) -> Result<Vec<(String, Counter)>, RepoError>;
    /// Replaces the counter under `key` with `new` if it still is
    /// `expected` (`None`: if there is none); false when another attempt
    /// changed it first (compare-and-swap).
    async fn swap_throttle(
        &self,
        key: &str,
        expected: Option<Counter>,
        new: Counter,
    ) -> Result<bool, RepoError>;
    /// Swaps each `(key, expected, new)` as [`Self::swap_throttle`]
    /// would; the keys it swapped, the others changed first by another
    /// attempt. The keys are distinct (one attempt's counters). Up to six
    /// of one kind (all expected absent, or all read) are one statement;
    /// on SQLite up to six of each kind are one transaction, all written
    /// or none. A longer list, or a mixed one on PostgreSQL, takes several
    /// statements, and when one of them fails the keys the earlier ones
    /// swapped stay swapped (counted too much, never too little) and are
    /// not reported.
    async fn swap_throttles(
        &self,
        swaps: &[(&str, Option<Counter>, Counter)],
    ) -> Result<Vec<String>, RepoError>;
    /// Takes one attempt back from each `(key, set, previous)`: its lock
    /// goes back to `previous` if it still is `set` (the one the attempt
    /// set). A few counters a statement; the keys are distinct (one
    /// attempt's counters).
    async fn undo_throttles(
        &self,
        undo: &[(&str, OffsetDateTime, OffsetDateTime)],
    ) -> Result<(), RepoError>;
    /// Deletes the counters under `keys` (a few a statement).
    async fn clear_throttle_counters(&self, keys: &[&str]) -> Result<(), RepoError>;
    /// A successful attempt's counters settled: those under `cleared`
    /// deleted and those of `undo` taken back, as the two methods above do,
    /// in as few round trips as the database allows. Both are written even
    /// if one fails, unless both go in one round trip; the first error is
    /// reported.
    async fn settle_throttles(
        &self,
        cleared: &[&str],
        undo: &[(&str, OffsetDateTime, OffsetDateTime)],
    ) -> Result<(), RepoError> {
        let clearing = self.clear_throttle_counters(cleared).await;
        let undoing = self.undo_throttles(undo).await;
        clearing.and(undoing)
    }
    /// Deletes every counter whose key starts with `prefix`.
    async fn clear_throttle_prefix(&self, prefix: &str) -> Result<(), RepoError>;
}

/// The audit trail.
#[async_trait]
pub trait AuditRepo: Send + Sync + 'static {
    /// Appends an event.
    async fn insert_event(&self, event: &AuditEvent) -> Result<(), RepoError>;
    /// Events matching `query`, newest first.
    async fn list_events(&self, query: &EventQuery) -> Result<Vec<StoredEvent>, RepoError>;
    /// Where the user's most recent events of one type came from, newest
    /// first (indexed by user and time; the alert rules call it at every
    /// sign-in).
    async fn recent_places_of_user(
        &self,
        user: UserId,
        kind: AuditKind,
        limit: i64,
    ) -> Result<Vec<EventPlace>, RepoError>;
    /// Events of these kinds since `since`, counted per hour: (hour as Unix
    /// seconds, kind, count).
    async fn count_events_by_hour(
        &self,
        kinds: &[AuditKind],
        since: OffsetDateTime,
    ) -> Result<Vec<(i64, AuditKind, i64)>, RepoError>;
    /// Deletes events older than `cutoff`; returns how many.
    async fn delete_events_before(&self, cutoff: OffsetDateTime) -> Result<u64, RepoError>;
}

/// Second factors: TOTP enrolments, recovery codes and pending sign-in
/// challenges.
#[async_trait]
pub trait MfaRepo: Send + Sync + 'static {
    /// The user's TOTP enrolment (pending or enabled).
    async fn find_totp(&self, user: UserId) -> Result<Option<TotpRecord>, RepoError>;
    /// Stores a pending (not yet confirmed) secret, replacing a pending one;
    /// false (and nothing written) when TOTP is already enabled.
    async fn put_pending_totp(
        &self,
        user: UserId,
        ciphertext: &str,
        now: OffsetDateTime,
    ) -> Result<bool, RepoError>;
    /// Enables the pending enrolment with its first accepted step and
    /// replaces the recovery codes, in one transaction; false when there was
    /// no pending enrolment.
    async fn enable_totp(
        &self,
        user: UserId,
        step: i64,
        codes: &[StoredRecoveryCode],
        audit: &AuditEvent,
    ) -> Result<bool, RepoError>;
    /// Records `step` as used if it is newer than the last one; false when
    /// it is not (a replay), or TOTP is not enabled.
    async fn advance_totp_step(&self, user: UserId, step: i64) -> Result<bool, RepoError>;
    /// The user's recovery codes stored under one of `locators`, or (not
    /// yet upgraded) whose verifier is `legacy_mac`: the rows a typed code
    /// may be.
    async fn recovery_code_candidates(
        &self,
        user: UserId,
        locators: [&str; 2],
        legacy_mac: &str,
    ) -> Result<Vec<StoredRecoveryCode>, RepoError>;
    /// Uses up a recovery code by its stored verifier; false when it is
    /// gone (used by a concurrent request).
    async fn take_recovery_code(
        &self,
        user: UserId,
        verifier: &str,
        audit: &AuditEvent,
    ) -> Result<bool, RepoError>;
    /// Replaces every recovery code of the user.
    async fn replace_recovery_codes(
        &self,
        user: UserId,
        codes: &[StoredRecoveryCode],
        audit: &AuditEvent,
    ) -> Result<(), RepoError>;
    /// Up to `limit` recovery codes stored before migration 0018 (a keyed
    /// MAC, no locator), to upgrade.
    async fn legacy_recovery_codes(&self, limit: i64) -> Result<Vec<(UserId, String)>, RepoError>;
    /// Replaces the pre-0018 row `(user, mac)` with `code`; false when it
    /// is gone (used meanwhile).
    async fn upgrade_recovery_code(
        &self,
        user: UserId,
        mac: &str,
        code: &StoredRecoveryCode,
    ) -> Result<bool, RepoError>;
    /// How many unused recovery codes the user has.
    async fn count_recovery_codes(&self, user: UserId) -> Result<i64, RepoError>;
    /// Removes the TOTP enrolment and recovery codes; false when there was none.
    async fn delete_mfa(&self, user: UserId, audit: &AuditEvent) -> Result<bool, RepoError>;
    /// Every stored TOTP ciphertext (for key rotation).
    async fn all_totp_ciphertexts(&self) -> Result<Vec<(UserId, String)>, RepoError>;
    /// Replaces a ciphertext if it is still `old`; false otherwise.
    async fn replace_totp_ciphertext(
        &self,
        user: UserId,
        old: &str,
        new: &str,
    ) -> Result<bool, RepoError>;
    /// Stores a pending sign-in challenge.
    async fn insert_challenge(&self, challenge: &MfaChallenge) -> Result<(), RepoError>;
    /// The live challenge with this digest.
    async fn find_challenge(
        &self,
        digest: &TokenDigest,
        now: OffsetDateTime,
    ) -> Result<Option<MfaChallenge>, RepoError>;
    /// Deletes a challenge; false when it was already gone (single use).
    async fn delete_challenge(&self, digest: &TokenDigest) -> Result<bool, RepoError>;
}

/// A stored TOTP enrolment.
#[derive(Debug, Clone)]
pub struct TotpRecord {
    /// The secret, encrypted by the key ring.
    pub ciphertext: String,
    /// Confirmed by a valid code.
    pub enabled: bool,
    /// The last time step accepted (replays of it or older are refused).
    pub last_step: i64,
}

/// A sign-in waiting for its second factor.
#[derive(Debug, Clone)]
pub struct MfaChallenge {
    /// SHA-256 of the challenge token the browser holds.
    pub digest: TokenDigest,
    /// Who proved their password.
    pub user_id: UserId,
    /// The challenge dies at this time.
    pub expires_at: OffsetDateTime,
    /// Where to go afterwards (a checked local path or allowed URL).
    pub next: String,
    /// "Keep me signed in" was ticked.
    pub remember: bool,
    /// The source that proved the first factor (`local`, `ldap`, `oidc:<id>`).
    pub source: String,
}

/// Where the encryption key ring comes from (configuration, never the
/// database).
pub trait KeySource: Send + Sync + 'static {
    /// The key ring as configured now.
    fn key_ring(&self)
    -> Result<std::sync::Arc<rampart_crypto::keyring::KeyRing>, KeysUnavailable>;
}

/// The key ring could not be read; the message says why (never a key).
#[derive(Debug, thiserror::Error)]
#[error("the encryption keys are unavailable: {0}")]
pub struct KeysUnavailable(pub String);

/// A webhook delivery waiting to be sent.
#[derive(Debug, Clone)]
pub struct QueuedWebhook {
    /// Row id (also the delivery id the receiver sees).
    pub id: String,
    /// The alert type.
    pub kind: String,
    /// The JSON body, exactly as signed and sent.
    pub body: String,
    /// Attempts so far.
    pub attempts: i64,
}

/// Signed webhook deliveries.
#[async_trait]
pub trait WebhookRepo: Send + Sync + 'static {
    /// Queues a delivery, due at once.
    async fn enqueue_webhook(
        &self,
        id: &str,
        kind: &str,
        body: &str,
        now: OffsetDateTime,
    ) -> Result<(), RepoError>;
    /// Claims deliveries due for (another) attempt, oldest first, hidden from
    /// other claimers until `lease_until` (as [`OutboxRepo::claim_due`]).
    async fn claim_due_webhooks(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<QueuedWebhook>, RepoError>;
    /// Records a successful delivery (the row stays, as the log).
    async fn webhook_delivered(
        &self,
        id: &str,
        at: OffsetDateTime,
        status: u16,
    ) -> Result<(), RepoError>;
    /// Records a failed attempt and when to try again.
    async fn webhook_failed(
        &self,
        id: &str,
        next_attempt_at: OffsetDateTime,
        status: Option<u16>,
        error: &str,
    ) -> Result<(), RepoError>;
}

/// GCRA rate-limit state.
#[async_trait]
pub trait RateRepo: Send + Sync + 'static {
    /// One GCRA step for `key` at `now_ms`, atomically: the request is
    /// allowed when max(TAT, now) + `interval_ms` − now ≤ `window_ms`, and
    /// then the TAT advances. Returns (allowed, the TAT after the step).
    async fn gcra_step(
        &self,
        key: &str,
        now_ms: i64,
        interval_ms: i64,
        window_ms: i64,
    ) -> Result<(bool, i64), RepoError>;
    /// Deletes state that has fully drained (TAT before `now_ms`): such a key
    /// behaves exactly like a new one.
    async fn purge_drained(&self, now_ms: i64) -> Result<u64, RepoError>;
}

/// One-time links that create the first administrator.
#[async_trait]
pub trait SetupRepo: Send + Sync + 'static {
    /// Stores a new link, replacing any earlier one.
    async fn replace_setup_token(
        &self,
        digest: &TokenDigest,
        expires_at: OffsetDateTime,
    ) -> Result<(), RepoError>;
    /// When the live link with this digest expires; `None` when there is none.
    async fn setup_token_expiry(
        &self,
        digest: &TokenDigest,
        now: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, RepoError>;
    /// Uses up the live link; false when there was none.
    async fn take_setup_token(
        &self,
        digest: &TokenDigest,
        now: OffsetDateTime,
    ) -> Result<bool, RepoError>;
}

/// Linked external identities, and redirects to providers waiting for their
/// answer.
#[async_trait]
pub trait IdentityRepo: Send + Sync + 'static {
    /// The account linked to `source` + `subject`.
    async fn find_identity(&self, source: &str, subject: &str)
    -> Result<Option<UserId>, RepoError>;
    /// Every identity linked to `user`, oldest first.
    async fn list_identities(&self, user: UserId) -> Result<Vec<LinkedIdentity>, RepoError>;
    /// Links an identity (`Conflict(Other)` when it is linked already).
    async fn insert_identity(
        &self,
        identity: &NewIdentity,
        audit: &AuditEvent,
    ) -> Result<(), RepoError>;
    /// Creates an account and its first identity in one transaction.
    async fn insert_user_with_identity(
        &self,
        new: &NewUser,
        identity: &NewIdentity,
        audit: &AuditEvent,
    ) -> Result<(), RepoError>;
    /// Records a sign-in by the identity (and the address it gave).
    async fn touch_identity(
        &self,
        source: &str,
        subject: &str,
        email: Option<&str>,
        at: OffsetDateTime,
    ) -> Result<(), RepoError>;
    /// Unlinks, unless it is the account's last way in (no password, no
    /// other identity, no passkey that signs in by itself), decided under a
    /// lock on the account.
    async fn delete_identity(
        &self,
        user: UserId,
        source: &str,
        subject: &str,
        audit: &AuditEvent,
    ) -> Result<Removal, RepoError>;
    /// Stores a redirect waiting for its answer.
    async fn insert_login(&self, login: &PendingLogin) -> Result<(), RepoError>;
    /// Removes and returns the live redirect with this state digest.
    async fn take_login(
        &self,
        state: &TokenDigest,
        now: OffsetDateTime,
    ) -> Result<Option<PendingLogin>, RepoError>;
    /// Forgets redirects that were never answered.
    async fn delete_expired_logins(&self, now: OffsetDateTime) -> Result<u64, RepoError>;
}

/// Passkeys, and WebAuthn ceremonies waiting for the browser's answer.
#[async_trait]
pub trait PasskeyRepo: Send + Sync + 'static {
    /// Every passkey of `user`, oldest first.
    async fn list_passkeys(&self, user: UserId) -> Result<Vec<PasskeyRecord>, RepoError>;
    /// The passkey with this credential id (whatever its account).
    async fn find_passkey(&self, credential_id: &str) -> Result<Option<PasskeyRecord>, RepoError>;
    /// Adds a passkey and its `passkey.added` event (`Conflict(Other)` when
    /// the credential id is registered already).
    async fn insert_passkey(
        &self,
        passkey: &PasskeyRecord,
        audit: &AuditEvent,
    ) -> Result<(), RepoError>;
    /// Records a sign-in by the passkey: its resealed credential (new
    /// counter and flags) and when; nothing when the credential is no
    /// longer `old` (a concurrent use wrote a later counter first).
    async fn touch_passkey(
        &self,
        id: &PasskeyId,
        old: &str,
        sealed: &str,
        backup_state: bool,
        at: OffsetDateTime,
    ) -> Result<(), RepoError>;
    /// Replaces a passkey's sealed credential (key rotation); false when it
    /// is gone or was changed since `old` was read.
    async fn reseal_passkey(&self, id: &PasskeyId, old: &str, new: &str)
    -> Result<bool, RepoError>;
    /// Removes `user`'s passkey `id` with its `passkey.removed` event,
    /// unless it is the account's last way in (no password, no linked
    /// identity, no other passkey): decided under a lock on the account, so
    /// two removals at once cannot both pass.
    async fn delete_passkey(
        &self,
        user: UserId,
        id: &PasskeyId,
        audit: &AuditEvent,
    ) -> Result<Removal, RepoError>;
    /// Removes `user`'s password with its event, only while the account has
    /// a passkey (under the same lock); false when it had no password or no
    /// passkey.
    async fn remove_password(&self, user: UserId, audit: &AuditEvent) -> Result<bool, RepoError>;
    /// Every passkey, for re-encryption under a new key.
    async fn all_passkeys(&self) -> Result<Vec<PasskeyRecord>, RepoError>;
    /// Stores a ceremony waiting for its answer, forgetting expired ones and
    /// the same browser's earlier one.
    async fn insert_ceremony(
        &self,
        ceremony: &PendingCeremony,
        now: OffsetDateTime,
    ) -> Result<(), RepoError>;
    /// Removes and returns the live ceremony with this digest.
    async fn take_ceremony(
        &self,
        digest: &TokenDigest,
        now: OffsetDateTime,
    ) -> Result<Option<PendingCeremony>, RepoError>;
}

/// A directory that checks passwords (LDAP), implemented in
/// `rampart-federation`.
#[async_trait]
pub trait Directory: Send + Sync + 'static {
    /// Finds `login` and binds as it with `password`: the entry's profile
    /// when both succeed, `None` when the name is unknown or the password
    /// wrong.
    async fn authenticate(
        &self,
        login: &str,
        password: &secrecy::SecretString,
    ) -> Result<Option<ExternalProfile>, DirectoryError>;
}

/// The directory could not answer; the message says why (never a password).
#[derive(Debug, thiserror::Error)]
#[error("the directory is unavailable: {0}")]
pub struct DirectoryError(pub String);
