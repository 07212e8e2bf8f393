//! First-run bootstrap: while no (unlocked) account holds the `admin` role,
//! `rampart serve` prints a one-time link, valid for an hour, whose page
//! creates the first administrator. The database keeps only the link's
//! digest; a new start replaces an unused link; the link dies when used, when
//! it expires, and as soon as an administrator exists by any other means
//! (`rampart user create NAME --role admin`).

use crate::account::{AccountService, RegisterError, Registration};
use crate::audit::ClientMeta;
use crate::clock::Clock;
use crate::model::{RoleName, User};
use crate::permission::ADMIN;
use crate::ports::{RepoError, SetupRepo, UserRepo};
use rampart_crypto::{TokenDigest, generate_token};
use secrecy::SecretString;
use std::sync::Arc;
use time::Duration;

/// How long a setup link works.
pub const SETUP_LINK_TTL: Duration = Duration::hours(1);

/// Why the first administrator could not be created.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The link is unknown, used or expired, or an administrator exists.
    #[error("this setup link is not valid any more")]
    InvalidLink,
    /// The account could not be created (the link stays usable).
    #[error(transparent)]
    Register(#[from] RegisterError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] RepoError),
}

/// Issues and redeems setup links.
pub struct SetupService {
    repo: Arc<dyn SetupRepo>,
    users: Arc<dyn UserRepo>,
    accounts: Arc<AccountService>,
    clock: Arc<dyn Clock>,
}

impl SetupService {
    /// The service over its repositories.
    pub fn new(
        repo: Arc<dyn SetupRepo>,
        users: Arc<dyn UserRepo>,
        accounts: Arc<AccountService>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            repo,
            users,
            accounts,
            clock,
        }
    }

    async fn admin_exists(&self) -> Result<bool, RepoError> {
        Ok(self.users.count_with_role(ADMIN).await? > 0)
    }

    /// A new setup link's token when no administrator exists (replacing any
    /// earlier link); `None` otherwise.
    pub async fn issue_if_needed(&self) -> Result<Option<SecretString>, RepoError> {
        if self.admin_exists().await? {
            return Ok(None);
        }
        let token = generate_token();
        self.repo
            .replace_setup_token(
                &TokenDigest::of(secrecy::ExposeSecret::expose_secret(&token)),
                self.clock.now() + SETUP_LINK_TTL,
            )
            .await?;
        Ok(Some(token))
    }

    /// True when `token` may still create the first administrator.
    pub async fn is_live(&self, token: &str) -> Result<bool, RepoError> {
        Ok(!self.admin_exists().await?
            && self
                .repo
                .setup_token_expiry(&TokenDigest::of(token), self.clock.now())
                .await?
                .is_some())
    }

    /// Creates the first administrator with `token` (once). When the account
    /// is refused (a weak password, say), the link stays usable.
    pub async fn complete(
        &self,
        token: &str,
        mut registration: Registration,
        client: &ClientMeta,
    ) -> Result<User, SetupError> {
        let digest = TokenDigest::of(token);
        let now = self.clock.now();
        if self.admin_exists().await? {
            return Err(SetupError::InvalidLink);
        }
        let Some(expires_at) = self.repo.setup_token_expiry(&digest, now).await? else {
            return Err(SetupError::InvalidLink);
        };
        // Taken first, so two submissions cannot both create an administrator.
        if !self.repo.take_setup_token(&digest, now).await? {
            return Err(SetupError::InvalidLink);
        }
        registration.roles = vec![RoleName::from_trusted(ADMIN.to_owned()), RoleName::user()];
        match self.accounts.register(registration, client).await {
            Ok(user) => Ok(user),
            Err(err) => {
                self.repo.replace_setup_token(&digest, expires_at).await?;
                Err(err.into())
            }
        }
    }
}
