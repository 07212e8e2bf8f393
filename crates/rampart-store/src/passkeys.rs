//! Statements on `passkeys` and `passkey_ceremonies`.

use crate::audit::{audited, insert_event};
use crate::backend::{Store, exec, fetch, on_pool};
use crate::error::{corrupt_id, repo_error};
use crate::time::time_of;
use crate::way_in::{lock_account, other_way_in};
use async_trait::async_trait;
use rampart_core::UserId;
use rampart_core::audit::AuditEvent;
use rampart_core::model::passkey::{
    CeremonyPurpose, PasskeyId, PasskeyRecord, PendingCeremony, Removal,
};
use rampart_core::ports::{PasskeyRepo, RepoError};
use rampart_crypto::TokenDigest;
use time::OffsetDateTime;

/// `SELECT … FROM passkeys` and the rest of the statement (a literal:
/// statements are static text).
macro_rules! select_passkeys {
    ($rest:literal) => {
        concat!(
            "SELECT id, user_id, credential_id, name, sealed, backup_eligible, backup_state, \
             discoverable, created_at, last_used_at FROM passkeys ",
            $rest
        )
    };
}

/// Inserts the passkey `$p` through `$conn` (a transaction's connection),
/// `?`-returning a `RepoError`.
macro_rules! insert_passkey_row {
    ($conn:expr, $p:expr) => {{
        let p: &rampart_core::model::passkey::PasskeyRecord = $p;
        $crate::backend::exec!(
            $conn,
            "INSERT INTO passkeys (id, user_id, credential_id, name, sealed, backup_eligible, backup_state, discoverable, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &p.id.0,
            p.user_id.to_string(),
            &p.credential_id,
            &p.name,
            &p.sealed,
            p.backup_eligible,
            p.backup_state,
            p.discoverable,
            p.created_at.unix_timestamp(),
        )?;
    }};
}

pub(crate) use insert_passkey_row;

#[derive(sqlx::FromRow)]
struct PasskeyRow {
    id: String,
    user_id: String,
    credential_id: String,
    name: String,
    sealed: String,
    backup_eligible: bool,
    backup_state: bool,
    discoverable: bool,
    created_at: i64,
    last_used_at: Option<i64>,
}

impl PasskeyRow {
    fn into_record(self) -> Result<PasskeyRecord, RepoError> {
        Ok(PasskeyRecord {
            user_id: UserId::parse(&self.user_id).ok_or_else(|| corrupt_id(&self.user_id))?,
            id: PasskeyId(self.id),
            credential_id: self.credential_id,
            name: self.name,
            sealed: self.sealed,
            backup_eligible: self.backup_eligible,
            backup_state: self.backup_state,
            discoverable: self.discoverable,
            created_at: time_of(self.created_at),
            last_used_at: self.last_used_at.map(time_of),
        })
    }
}

fn records(rows: Vec<PasskeyRow>) -> Result<Vec<PasskeyRecord>, RepoError> {
    rows.into_iter().map(PasskeyRow::into_record).collect()
}

#[derive(sqlx::FromRow)]
struct CeremonyRow {
    visitor_hash: String,
    purpose: String,
    user_id: Option<String>,
    sealed: String,
    expires_at: i64,
}

#[async_trait]
impl PasskeyRepo for Store {
    async fn list_passkeys(&self, user: UserId) -> Result<Vec<PasskeyRecord>, RepoError> {
        let sql = select_passkeys!("WHERE user_id = $1 ORDER BY created_at, id");
        let rows: Vec<PasskeyRow> = on_pool!(self, |pool| fetch!(
            pool,
            query_as,
            fetch_all,
            sql,
            user.to_string()
        ))?;
        records(rows)
    }

    async fn find_passkey(&self, credential_id: &str) -> Result<Option<PasskeyRecord>, RepoError> {
        let sql = select_passkeys!("WHERE credential_id = $1");
        let row: Option<PasskeyRow> = on_pool!(self, |pool| fetch!(
            pool,
            query_as,
            fetch_optional,
            sql,
            credential_id
        ))?;
        row.map(PasskeyRow::into_record).transpose()
    }

    async fn insert_passkey(&self, p: &PasskeyRecord, audit: &AuditEvent) -> Result<(), RepoError> {
        on_pool!(self, |pool| {
            async {
                crate::backend::begin!(pool, tx);
                insert_passkey_row!(&mut *tx, p);
                insert_event!(&mut *tx, audit)?;
                tx.commit().await.map_err(repo_error)
            }
            .await
        })
    }

    async fn touch_passkey(
        &self,
        id: &PasskeyId,
        old: &str,
        sealed: &str,
        backup_state: bool,
        at: OffsetDateTime,
    ) -> Result<(), RepoError> {
        on_pool!(self, |pool| {
            exec!(
                pool,
                "UPDATE passkeys SET sealed = $1, backup_state = $2, last_used_at = $3 WHERE id = $4 AND sealed = $5",
                sealed,
                backup_state,
                at.unix_timestamp(),
                &id.0,
                old,
            ).map(drop)
        })
    }

    async fn reseal_passkey(
        &self,
        id: &PasskeyId,
        old: &str,
        new: &str,
    ) -> Result<bool, RepoError> {
        on_pool!(self, |pool| exec!(
            pool,
            "UPDATE passkeys SET sealed = $1 WHERE id = $2 AND sealed = $3",
            new,
            &id.0,
            old
        )
        .map(|n| n == 1))
    }

    async fn delete_passkey(
        &self,
        user: UserId,
        id: &PasskeyId,
        audit: &AuditEvent,
    ) -> Result<Removal, RepoError> {
        let user = user.to_string();
        on_pool!(self, |pool| {
            async {
                crate::backend::begin!(pool, tx);
                lock_account!(&mut *tx, &user);
                let held: i64 = fetch!(
                    &mut *tx,
                    query_scalar,
                    fetch_one,
                    "SELECT COUNT(*) FROM passkeys WHERE user_id = $1 AND id = $2",
                    &user,
                    &id.0
                )?;
                if held == 0 {
                    return Ok(Removal::NotFound);
                }
                let other_way_in: bool = fetch!(
                    &mut *tx,
                    query_scalar,
                    fetch_one,
                    concat!("SELECT ", other_way_in!(), " FROM users WHERE id = $1"),
                    &user,
                    "",
                    "",
                    &id.0
                )?;
                if !other_way_in {
                    return Ok(Removal::LastWayIn);
                }
                exec!(
                    &mut *tx,
                    "DELETE FROM passkeys WHERE user_id = $1 AND id = $2",
                    &user,
                    &id.0
                )?;
                insert_event!(&mut *tx, audit)?;
                tx.commit().await.map_err(repo_error)?;
                Ok(Removal::Removed)
            }
            .await
        })
    }

    async fn remove_password(&self, user: UserId, audit: &AuditEvent) -> Result<bool, RepoError> {
        let user = user.to_string();
        audited!(self, Some(audit), |tx| {
            lock_account!(&mut *tx, &user);
            exec!(
                &mut *tx,
                "UPDATE users SET password_hash = NULL WHERE id = $1 AND password_hash IS NOT NULL \
                 AND EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = users.id AND p.discoverable = TRUE)",
                &user,
            )? == 1
        })
    }

    async fn all_passkeys(&self) -> Result<Vec<PasskeyRecord>, RepoError> {
        let sql = select_passkeys!("ORDER BY id");
        let rows: Vec<PasskeyRow> = on_pool!(self, |pool| fetch!(pool, query_as, fetch_all, sql))?;
        records(rows)
    }

    async fn insert_ceremony(
        &self,
        c: &PendingCeremony,
        now: OffsetDateTime,
    ) -> Result<(), RepoError> {
        on_pool!(self, |pool| {
            async {
                // Expired ones go, and so does this browser's earlier one:
                // one live ceremony per browser.
                exec!(
                    pool,
                    "DELETE FROM passkey_ceremonies WHERE expires_at <= $1 OR visitor_hash = $2",
                    now.unix_timestamp(),
                    c.visitor_digest.to_hex(),
                )?;
                exec!(
                    pool,
                    "INSERT INTO passkey_ceremonies (digest, visitor_hash, purpose, user_id, sealed, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    c.digest.to_hex(),
                    c.visitor_digest.to_hex(),
                    c.purpose.as_str(),
                    c.purpose.user().map(|u| u.to_string()),
                    &c.sealed,
                    c.expires_at.unix_timestamp(),
                ).map(drop)
            }
            .await
        })
    }

    async fn take_ceremony(
        &self,
        digest: &TokenDigest,
        now: OffsetDateTime,
    ) -> Result<Option<PendingCeremony>, RepoError> {
        // DELETE … RETURNING: of two answers to one ceremony, one gets it.
        let row: Option<CeremonyRow> = on_pool!(self, |pool| fetch!(
            pool,
            query_as,
            fetch_optional,
            "DELETE FROM passkey_ceremonies WHERE digest = $1 \
             RETURNING visitor_hash, purpose, user_id, sealed, expires_at",
            digest.to_hex()
        ))?;
        let Some(row) = row.filter(|r| r.expires_at > now.unix_timestamp()) else {
            return Ok(None);
        };
        let corrupt = || RepoError::Unavailable("corrupt row in passkey_ceremonies".into());
        let user = row
            .user_id
            .map(|id| UserId::parse(&id).ok_or_else(|| corrupt_id(&id)))
            .transpose()?;
        Ok(Some(PendingCeremony {
            digest: *digest,
            visitor_digest: TokenDigest::from_hex(&row.visitor_hash).ok_or_else(corrupt)?,
            purpose: CeremonyPurpose::from_parts(&row.purpose, user).ok_or_else(corrupt)?,
            sealed: row.sealed,
            expires_at: time_of(row.expires_at),
        }))
    }
}
