//! Bringing users over from another application (`rampart user import`):
//! one CSV row at a time, each checked like a registration (username,
//! e-mail, roles), its password hash recognised (`rampart_crypto::legacy`)
//! and wrapped in Argon2id (`PasswordHasher::wrap_legacy`), so a stolen
//! database holds no bare bcrypt, pbkdf2, scrypt or HMAC hash even for
//! accounts nobody signs in to again. The user signs in with their old
//! password (the legacy function, then Argon2id); that sign-in replaces the
//! hash with plain Argon2id. A refused row is reported and
//! the import goes on (rows go in batches, one transaction each, with a
//! savepoint per row); every imported account is audited (`user.registered`,
//! `by: import`) in the transaction that creates it.

use crate::audit::{AuditTrail, ClientMeta};
use crate::clock::Clock;
use crate::model::audit::AuditKind;
use crate::model::{Email, NewUser, RoleName, User, Username};
use crate::password::HashPool;
use crate::ports::{LoginKey, RepoError, UniqueField, UserRepo};
use rampart_crypto::legacy::{self, FLASK_SECURITY_PREFIX, Family};
use serde_json::json;
use std::sync::Arc;

/// One row of the file.
#[derive(Debug, Clone)]
pub struct ImportRow {
    /// Username.
    pub username: String,
    /// E-mail address.
    pub email: String,
    /// The other application's password hash.
    pub password_hash: String,
    /// Role names (empty: `user`).
    pub roles: Vec<String>,
}

/// Why a row was refused (never quoting the hash).
#[derive(Debug, thiserror::Error)]
pub enum RowProblem {
    /// A field breaks the rules.
    #[error("{0}")]
    Invalid(String),
    /// The username or e-mail address is taken.
    #[error("{0} is already taken")]
    Taken(&'static str),
    /// The database failed.
    #[error("the database failed: {0}")]
    Store(#[from] RepoError),
}

/// Imports rows.
pub struct Importer {
    users: Arc<dyn UserRepo>,
    pool: HashPool,
    audit: Arc<AuditTrail>,
    clock: Arc<dyn Clock>,
    /// The key-ring-sealed Flask-Security salt, when the hashes are
    /// pre-hashed with one.
    sealed_salt: Option<String>,
    /// Names and addresses a dry run has passed (a real import has the
    /// database's unique indexes).
    seen: tokio::sync::Mutex<std::collections::HashSet<String>>,
}

impl Importer {
    /// An importer; `sealed_salt` marks every hash as Flask-Security
    /// pre-hashed with that (sealed) salt.
    pub fn new(
        users: Arc<dyn UserRepo>,
        pool: HashPool,
        audit: Arc<AuditTrail>,
        clock: Arc<dyn Clock>,
        sealed_salt: Option<String>,
    ) -> Self {
        Self {
            users,
            pool,
            audit,
            clock,
            sealed_salt,
            seen: Default::default(),
        }
    }

    /// Checks `rows` and, unless `dry_run`, creates their accounts in one
    /// transaction (a refused row does not stop the others); returns each
    /// row's outcome (the hash format, or the problem), in order.
    pub async fn import_batch(
        &self,
        rows: Vec<ImportRow>,
        dry_run: bool,
    ) -> Result<Vec<Result<Family, RowProblem>>, RepoError> {
        let mut outcomes = Vec::with_capacity(rows.len());
        let mut batch = Vec::new();
        let mut slots = Vec::new();
        for row in rows {
            match self.check(row) {
                Err(problem) => outcomes.push(Err(problem)),
                Ok((new, family)) if dry_run => {
                    outcomes.push(self.rehearse(&new).await.map(|()| family))
                }
                Ok((new, family)) => {
                    slots.push((outcomes.len(), family));
                    outcomes.push(Ok(family));
                    let event = self.event_for(&new.user, family);
                    batch.push((new, event));
                }
            }
        }
        if batch.is_empty() {
            return Ok(outcomes);
        }
        let hashes = batch
            .iter()
            .map(|(new, _)| new.password_hash.clone().unwrap_or_default())
            .collect();
        let mut wrapped_batch = Vec::with_capacity(batch.len());
        let mut kept = Vec::with_capacity(slots.len());
        for (((new, event), slot), wrapped) in
            batch.into_iter().zip(slots).zip(self.wrap(hashes).await)
        {
            match wrapped {
                Ok(hash) => {
                    wrapped_batch.push((
                        NewUser {
                            password_hash: Some(hash),
                            ..new
                        },
                        event,
                    ));
                    kept.push(slot);
                }
                Err(problem) => outcomes[slot.0] = Err(problem),
            }
        }
        let (batch, slots) = (wrapped_batch, kept);
        if batch.is_empty() {
            return Ok(outcomes);
        }
        let written = self.users.insert_users(&batch).await?;
        for (((slot, _), result), (_, event)) in slots.iter().zip(written).zip(&batch) {
            match result {
                Ok(()) => self.audit.committed(event).await,
                Err(RepoError::Conflict(UniqueField::Email)) => {
                    outcomes[*slot] = Err(RowProblem::Taken("the e-mail address"))
                }
                Err(RepoError::Conflict(_)) => {
                    outcomes[*slot] = Err(RowProblem::Taken("the username"))
                }
                Err(other) => outcomes[*slot] = Err(other.into()),
            }
        }
        Ok(outcomes)
    }

    /// Wraps every hash in Argon2id, spread over the hashing threads (one
    /// job per thread, so the pool never refuses), answers in order.
    async fn wrap(&self, hashes: Vec<String>) -> Vec<Result<String, RowProblem>> {
        let per_job = hashes.len().div_ceil(self.pool.workers()).max(1);
        let mut jobs = Vec::new();
        let mut hashes = hashes.into_iter().peekable();
        while hashes.peek().is_some() {
            let chunk: Vec<String> = hashes.by_ref().take(per_job).collect();
            let (pool, count) = (self.pool.clone(), chunk.len());
            let job = tokio::spawn(async move {
                pool.run(move |hasher| {
                    chunk
                        .iter()
                        .map(|hash| hasher.wrap_legacy(hash).map_err(|e| e.to_string()))
                        .collect::<Vec<_>>()
                })
                .await
            });
            jobs.push((job, count));
        }
        let mut answers = Vec::new();
        for (job, count) in jobs {
            match job.await {
                Ok(Ok(wrapped)) => answers.extend(wrapped.into_iter().map(|w| {
                    w.map_err(|e| {
                        RowProblem::Invalid(format!("cannot wrap the password hash: {e}"))
                    })
                })),
                Ok(Err(busy)) => {
                    answers.extend((0..count).map(|_| Err(RowProblem::Invalid(busy.to_string()))))
                }
                Err(_) => answers.extend(
                    (0..count).map(|_| Err(RowProblem::Invalid("the hashing job failed".into()))),
                ),
            }
        }
        answers
    }

    /// A dry run's check against the database and the rows before it.
    async fn rehearse(&self, new: &NewUser) -> Result<(), RowProblem> {
        let (name, email) = (new.user.username.key(), new.user.email.key());
        let mut seen = self.seen.lock().await;
        if seen.contains(&format!("u:{name}"))
            || self.users.find_by_username(&name).await?.is_some()
        {
            return Err(RowProblem::Taken("the username"));
        }
        if seen.contains(&format!("e:{email}"))
            || self
                .users
                .find_credentials(LoginKey::Email(&email))
                .await?
                .is_some()
        {
            return Err(RowProblem::Taken("the e-mail address"));
        }
        seen.insert(format!("u:{name}"));
        seen.insert(format!("e:{email}"));
        Ok(())
    }

    fn event_for(&self, user: &User, family: Family) -> crate::audit::AuditEvent {
        self.audit.success(
            AuditKind::UserRegistered,
            user,
            &ClientMeta::operator(),
            json!({
                "by": "import",
                "hash_format": family.name(),
                "roles": user.roles.iter().map(RoleName::as_str).collect::<Vec<_>>(),
            }),
        )
    }

    /// Checks a row's fields and builds its account.
    fn check(&self, row: ImportRow) -> Result<(NewUser, Family), RowProblem> {
        let username =
            Username::parse(&row.username).map_err(|p| RowProblem::Invalid(p.message))?;
        let email = Email::parse(row.email.trim()).map_err(|p| RowProblem::Invalid(p.message))?;
        let roles = row
            .roles
            .iter()
            .map(|r| RoleName::parse(r))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|p| RowProblem::Invalid(p.message))?;
        let hash = row.password_hash.trim();
        if hash.starts_with(FLASK_SECURITY_PREFIX) {
            return Err(RowProblem::Invalid(
                "the password hash uses Rampart's internal Flask-Security form; give the original hash".into(),
            ));
        }
        let family = legacy::importable(hash).map_err(|e| RowProblem::Invalid(e.to_string()))?;
        let (stored, family) = match &self.sealed_salt {
            Some(sealed) => (
                format!("{FLASK_SECURITY_PREFIX}{sealed}${hash}"),
                Family::FlaskSecurity,
            ),
            None => (hash.to_owned(), family),
        };
        let user = User::new_account(username, email, roles, self.clock.now());
        Ok((
            NewUser {
                user,
                password_hash: Some(stored),
                language: None,
            },
            family,
        ))
    }
}
