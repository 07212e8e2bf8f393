//! Statements on `passkeys` and `passkey_ceremonies`.

use crate::audit::{audited, insert_event};
use crate::backend::{Store, on_pool};
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
        sqlx::query(
            "INSERT INTO passkeys (id, user_id, credential_id, name, sealed, backup_eligible, backup_state, discoverable, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&p.id.0)
        .bind(p.user_id.to_string())
        .bind(&p.credential_id)
        .bind(&p.name)
        .bind(&p.sealed)
        .bind(p.backup_eligible)
        .bind(p.backup_state)
        .bind(p.discoverable)
        .bind(p.created_at.unix_timestamp())
        .execute($conn)
        .await
        .map_err($crate::error::repo_error)?;
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
        let rows: Vec<PasskeyRow> = on_pool!(self, |pool| sqlx::query_as(sql)
            .bind(user.to_string())
            .fetch_all(pool)
            .await
            .map_err(repo_error))?;
        records(rows)
    }

    async fn find_passkey(&self, credential_id: &str) -> Result<Option<PasskeyRecord>, RepoError> {
        let sql = select_passkeys!("WHERE credential_id = $1");
        let row: Option<PasskeyRow> = on_pool!(self, |pool| sqlx::query_as(sql)
            .bind(credential_id)
            .fetch_optional(pool)
            .await
            .map_err(repo_error))?;
        row.map(PasskeyRow::into_record).transpose()
    }

    async fn insert_passkey(&self, p: &PasskeyRecord, audit: &AuditEvent) -> Result<(), RepoError> {
        on_pool!(self, |pool| {
            async {
                let mut tx = pool.begin().await.map_err(repo_error)?;
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
            sqlx::query(
            "UPDATE passkeys SET sealed = $1, backup_state = $2, last_used_at = $3 WHERE id = $4 AND sealed = $5"
        )
        .bind(sealed)
        .bind(backup_state)
        .bind(at.unix_timestamp())
        .bind(&id.0)
        .bind(old)
        .execute(pool)
        .await
        .map(|_| ())
        .map_err(repo_error)
        })
    }

    async fn reseal_passkey(
        &self,
        id: &PasskeyId,
        old: &str,
        new: &str,
    ) -> Result<bool, RepoError> {
        on_pool!(self, |pool| sqlx::query(
            "UPDATE passkeys SET sealed = $1 WHERE id = $2 AND sealed = $3"
        )
        .bind(new)
        .bind(&id.0)
        .bind(old)
        .execute(pool)
        .await
        .map(|r| r.rows_affected() == 1)
        .map_err(repo_error))
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
                let mut tx = pool.begin().await.map_err(repo_error)?;
                lock_account!(&mut *tx, &user);
                let held: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM passkeys WHERE user_id = $1 AND id = $2",
                )
                .bind(&user)
                .bind(&id.0)
                .fetch_one(&mut *tx)
                .await
                .map_err(repo_error)?;
                if held == 0 {
                    return Ok(Removal::NotFound);
                }
                let other_way_in: bool = sqlx::query_scalar(concat!(
                    "SELECT ",
                    other_way_in!(),
                    " FROM users WHERE id = $1"
                ))
                .bind(&user)
                .bind("")
                .bind("")
                .bind(&id.0)
                .fetch_one(&mut *tx)
                .await
                .map_err(repo_error)?;
                if !other_way_in {
                    return Ok(Removal::LastWayIn);
                }
                sqlx::query("DELETE FROM passkeys WHERE user_id = $1 AND id = $2")
                    .bind(&user)
                    .bind(&id.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(repo_error)?;
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
            sqlx::query(
                "UPDATE users SET password_hash = NULL WHERE id = $1 AND password_hash IS NOT NULL \
                 AND EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = users.id AND p.discoverable = TRUE)",
            )
            .bind(&user)
            .execute(&mut *tx)
            .await
            .map_err(repo_error)?
            .rows_affected()
                == 1
        })
    }

    async fn all_passkeys(&self) -> Result<Vec<PasskeyRecord>, RepoError> {
        let sql = select_passkeys!("ORDER BY id");
        let rows: Vec<PasskeyRow> = on_pool!(self, |pool| sqlx::query_as(sql)
            .fetch_all(pool)
            .await
            .map_err(repo_error))?;
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
                sqlx::query(
                    "DELETE FROM passkey_ceremonies WHERE expires_at <= $1 OR visitor_hash = $2",
                )
                .bind(now.unix_timestamp())
                .bind(c.visitor_digest.to_hex())
                    .execute(pool)
                    .await
                    .map_err(repo_error)?;
                sqlx::query(
                    "INSERT INTO passkey_ceremonies (digest, visitor_hash, purpose, user_id, sealed, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(c.digest.to_hex())
                .bind(c.visitor_digest.to_hex())
                .bind(c.purpose.as_str())
                .bind(c.purpose.user().map(|u| u.to_string()))
                .bind(&c.sealed)
                .bind(c.expires_at.unix_timestamp())
                .execute(pool)
                .await
                .map(|_| ())
                .map_err(repo_error)
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
        let row: Option<CeremonyRow> = on_pool!(self, |pool| sqlx::query_as(
            "DELETE FROM passkey_ceremonies WHERE digest = $1 \
             RETURNING visitor_hash, purpose, user_id, sealed, expires_at"
        )
        .bind(digest.to_hex())
        .fetch_optional(pool)
        .await
        .map_err(repo_error))?;
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
