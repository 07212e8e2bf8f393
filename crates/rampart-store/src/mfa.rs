//! Statements on `mfa_totp`, `recovery_codes` and `mfa_challenges`.

use crate::audit::audited;
use crate::backend::{Store, exec, fetch, on_pool};
use crate::error::corrupt_id;
use crate::time::time_of;
use async_trait::async_trait;
use rampart_core::UserId;
use rampart_core::audit::AuditEvent;
use rampart_core::model::mfa::StoredRecoveryCode;
use rampart_core::ports::{MfaChallenge, MfaRepo, RepoError, TotpRecord};
use rampart_crypto::TokenDigest;
use time::OffsetDateTime;

#[derive(sqlx::FromRow)]
struct TotpRow {
    secret: String,
    enabled: bool,
    last_step: i64,
}

#[derive(sqlx::FromRow)]
struct ChallengeRow {
    user_id: String,
    expires_at: i64,
    next: String,
    remember: bool,
    source: String,
}

/// `(user id, value)` rows with their ids parsed.
fn by_user(rows: Vec<(String, String)>) -> Result<Vec<(UserId, String)>, RepoError> {
    rows.into_iter()
        .map(|(id, value)| Ok((UserId::parse(&id).ok_or_else(|| corrupt_id(&id))?, value)))
        .collect()
}

/// Replaces a user's recovery codes inside the open transaction `$tx`
/// (expanded per backend, like `on_pool!`).
macro_rules! replace_codes {
    ($tx:ident, $id:expr, $codes:expr) => {
        $crate::backend::exec!(
            &mut *$tx,
            "DELETE FROM recovery_codes WHERE user_id = $1",
            $id
        )?;
        for code in $codes {
            $crate::backend::exec!(
                &mut *$tx,
                "INSERT INTO recovery_codes (user_id, locator, code_hash) VALUES ($1, $2, $3)",
                $id,
                &code.locator,
                &code.verifier
            )?;
        }
    };
}

#[async_trait]
impl MfaRepo for Store {
    async fn find_totp(&self, user: UserId) -> Result<Option<TotpRecord>, RepoError> {
        let row: Option<TotpRow> = on_pool!(self, |pool| fetch!(
            pool,
            query_as,
            fetch_optional,
            "SELECT secret, enabled, last_step FROM mfa_totp WHERE user_id = $1",
            user.to_string()
        ))?;
        Ok(row.map(|r| TotpRecord {
            ciphertext: r.secret,
            enabled: r.enabled,
            last_step: r.last_step,
        }))
    }

    async fn put_pending_totp(
        &self,
        user: UserId,
        ciphertext: &str,
        now: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        on_pool!(self, |pool| {
            exec!(
                pool,
                "INSERT INTO mfa_totp (user_id, secret, enabled, last_step, created_at) \
                 VALUES ($1, $2, FALSE, 0, $3) \
                 ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at \
                 WHERE mfa_totp.enabled = FALSE",
                user.to_string(),
                ciphertext,
                now.unix_timestamp(),
            ).map(|n| n == 1)
        })
    }

    async fn enable_totp(
        &self,
        user: UserId,
        step: i64,
        codes: &[StoredRecoveryCode],
        audit: &AuditEvent,
    ) -> Result<bool, RepoError> {
        let id = user.to_string();
        audited!(self, Some(audit), |tx| {
            let enabled = exec!(
                &mut *tx,
                "UPDATE mfa_totp SET enabled = TRUE, last_step = $2 WHERE user_id = $1 AND enabled = FALSE",
                &id,
                step,
            )?;
            if enabled == 1 {
                replace_codes!(tx, &id, codes);
            }
            enabled == 1
        })
    }

    async fn advance_totp_step(&self, user: UserId, step: i64) -> Result<bool, RepoError> {
        on_pool!(self, |pool| {
            exec!(
                pool,
                "UPDATE mfa_totp SET last_step = $2 WHERE user_id = $1 AND enabled = TRUE AND last_step < $2",
                user.to_string(),
                step,
            ).map(|n| n == 1)
        })
    }

    async fn recovery_code_candidates(
        &self,
        user: UserId,
        locators: [&str; 2],
        legacy_mac: &str,
    ) -> Result<Vec<StoredRecoveryCode>, RepoError> {
        let rows: Vec<(Option<String>, String)> = on_pool!(self, |pool| fetch!(
            pool,
            query_as,
            fetch_all,
            "SELECT locator, code_hash FROM recovery_codes WHERE user_id = $1 \
             AND (locator IN ($2, $3) OR (locator IS NULL AND code_hash = $4)) \
             ORDER BY locator",
            user.to_string(),
            locators[0],
            locators[1],
            legacy_mac
        ))?;
        Ok(rows
            .into_iter()
            .map(|(locator, verifier)| StoredRecoveryCode { locator, verifier })
            .collect())
    }

    async fn legacy_recovery_codes(&self, limit: i64) -> Result<Vec<(UserId, String)>, RepoError> {
        let rows: Vec<(String, String)> = on_pool!(self, |pool| fetch!(
            pool,
            query_as,
            fetch_all,
            "SELECT user_id, code_hash FROM recovery_codes WHERE locator IS NULL LIMIT $1",
            limit
        ))?;
        by_user(rows)
    }

    async fn upgrade_recovery_code(
        &self,
        user: UserId,
        mac: &str,
        code: &StoredRecoveryCode,
    ) -> Result<bool, RepoError> {
        on_pool!(self, |pool| exec!(
            pool,
            "UPDATE recovery_codes SET locator = $3, code_hash = $4 \
             WHERE user_id = $1 AND code_hash = $2 AND locator IS NULL",
            user.to_string(),
            mac,
            &code.locator,
            &code.verifier
        )
        .map(|n| n == 1))
    }

    async fn take_recovery_code(
        &self,
        user: UserId,
        verifier: &str,
        audit: &AuditEvent,
    ) -> Result<bool, RepoError> {
        audited!(self, Some(audit), |tx| exec!(
            &mut *tx,
            "DELETE FROM recovery_codes WHERE user_id = $1 AND code_hash = $2",
            user.to_string(),
            verifier
        )? == 1)
    }

    async fn replace_recovery_codes(
        &self,
        user: UserId,
        codes: &[StoredRecoveryCode],
        audit: &AuditEvent,
    ) -> Result<(), RepoError> {
        let id = user.to_string();
        audited!(self, Some(audit), |tx| {
            replace_codes!(tx, &id, codes);
            true
        })
        .map(|_| ())
    }

    async fn count_recovery_codes(&self, user: UserId) -> Result<i64, RepoError> {
        on_pool!(self, |pool| fetch!(
            pool,
            query_scalar,
            fetch_one,
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1",
            user.to_string()
        ))
    }

    async fn delete_mfa(&self, user: UserId, audit: &AuditEvent) -> Result<bool, RepoError> {
        let id = user.to_string();
        audited!(self, Some(audit), |tx| {
            exec!(
                &mut *tx,
                "DELETE FROM recovery_codes WHERE user_id = $1",
                &id
            )?;
            let removed = exec!(&mut *tx, "DELETE FROM mfa_totp WHERE user_id = $1", &id)?;
            // "Remember this device" marks stood in for the factor that is
            // gone: they end with it (and known devices with them).
            exec!(
                &mut *tx,
                "UPDATE users SET sign_out_epoch = sign_out_epoch + 1 WHERE id = $1",
                &id
            )?;
            removed == 1
        })
    }

    async fn all_totp_ciphertexts(&self) -> Result<Vec<(UserId, String)>, RepoError> {
        let rows: Vec<(String, String)> = on_pool!(self, |pool| fetch!(
            pool,
            query_as,
            fetch_all,
            "SELECT user_id, secret FROM mfa_totp ORDER BY user_id"
        ))?;
        by_user(rows)
    }

    async fn replace_totp_ciphertext(
        &self,
        user: UserId,
        old: &str,
        new: &str,
    ) -> Result<bool, RepoError> {
        on_pool!(self, |pool| exec!(
            pool,
            "UPDATE mfa_totp SET secret = $3 WHERE user_id = $1 AND secret = $2",
            user.to_string(),
            old,
            new
        )
        .map(|n| n == 1))
    }

    async fn insert_challenge(&self, c: &MfaChallenge) -> Result<(), RepoError> {
        on_pool!(self, |pool| {
            // Challenges dead for a day go as new ones come (indexed).
            exec!(
                pool,
                "DELETE FROM mfa_challenges WHERE expires_at <= $1",
                c.expires_at.unix_timestamp() - 86_400
            )?;
            exec!(
                pool,
                "INSERT INTO mfa_challenges (token_hash, user_id, expires_at, next, remember, source) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                c.digest.to_hex(),
                c.user_id.to_string(),
                c.expires_at.unix_timestamp(),
                &c.next,
                c.remember,
                &c.source,
            ).map(drop)
        })
    }

    async fn find_challenge(
        &self,
        digest: &TokenDigest,
        now: OffsetDateTime,
    ) -> Result<Option<MfaChallenge>, RepoError> {
        let row: Option<ChallengeRow> = on_pool!(self, |pool| fetch!(
            pool,
            query_as,
            fetch_optional,
            "SELECT user_id, expires_at, next, remember, source FROM mfa_challenges \
             WHERE token_hash = $1 AND expires_at > $2",
            digest.to_hex(),
            now.unix_timestamp()
        ))?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(MfaChallenge {
            digest: *digest,
            user_id: UserId::parse(&row.user_id).ok_or_else(|| corrupt_id(&row.user_id))?,
            expires_at: time_of(row.expires_at),
            next: row.next,
            remember: row.remember,
            source: row.source,
        }))
    }

    async fn delete_challenge(&self, digest: &TokenDigest) -> Result<bool, RepoError> {
        on_pool!(self, |pool| exec!(
            pool,
            "DELETE FROM mfa_challenges WHERE token_hash = $1",
            digest.to_hex()
        )
        .map(|n| n == 1))
    }
}
