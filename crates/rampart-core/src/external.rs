//! External identities: people whom an OpenID Connect / OAuth2 provider or an
//! LDAP directory vouches for, and how they become (or reach) Rampart
//! accounts.
//!
//! The rules, in the order they are tried for a profile a source has proved:
//! 1. an identity already linked (`source` + the provider's stable `subject`)
//!    signs in its account;
//! 2. with `trust_email` on for that source, a **verified** e-mail claim links
//!    to the local account with that address (never an unverified one);
//! 3. with `create_users` on, a new account is made just in time (an address
//!    that belongs to another account refuses; a taken username gets a
//!    suffix, it never takes the other account);
//! 4. otherwise the sign-in is refused: the user must sign in another way and
//!    link the identity from their account page ([`IdentityService::link`]).
//!
//! Unlinking is refused when it would leave the account no way to sign in.

use crate::audit::{AuditTrail, ClientMeta};
use crate::cache::AccountCache;
use crate::clock::Clock;
use crate::model::audit::AuditKind;
pub use crate::model::identity::{ExternalProfile, LinkedIdentity, NewIdentity, RoleSync};
use crate::model::passkey::Removal;
use crate::model::{Email, NewUser, RoleName, User, UserId, Username};
use crate::ports::{IdentityRepo, LoginKey, RepoError, UniqueField, UserRepo};
use serde_json::json;
use std::sync::Arc;
use time::OffsetDateTime;

/// Per-source settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct SourcePolicy {
    /// Create accounts just in time for people not yet linked.
    pub create_users: bool,
    /// Link by a verified e-mail claim to the local account with that address.
    pub trust_email: bool,
}

/// Why an external sign-in or a link change was refused.
#[derive(Debug, thiserror::Error)]
pub enum ExternalError {
    /// No account is linked and this source may neither link by e-mail nor
    /// create accounts.
    #[error(
        "no account is linked to this identity: sign in another way and link it from your account page"
    )]
    NotLinked,
    /// Just-in-time creation would take an address another account has.
    #[error(
        "an account with this e-mail address already exists: sign in to it and link this identity from your account page"
    )]
    EmailTaken,
    /// Just-in-time creation for a directory user whose username belongs to
    /// another account (a directory login name is never renamed).
    #[error("the username belongs to another account")]
    UsernameTaken,
    /// Just-in-time creation needs an address the source did not give.
    #[error(
        "the identity provider did not share a usable e-mail address, which a new account needs"
    )]
    NoEmail,
    /// The linked account is locked.
    #[error("this account cannot sign in")]
    AccountUnavailable,
    /// The identity is linked to a different account.
    #[error("this identity is already linked to another account")]
    LinkedElsewhere,
    /// Unlinking would leave the account no way to sign in.
    #[error(
        "this is the only way to sign in to this account: set a password or link another identity first"
    )]
    LastSignInMethod,
    /// No such identity is linked to the account.
    #[error("no such identity is linked to this account")]
    NoSuchIdentity,
    /// The database failed.
    #[error("the account store is unavailable")]
    Store(#[from] RepoError),
}

/// Linking, unlinking, and turning a proved profile into an account.
pub struct IdentityService {
    users: Arc<dyn UserRepo>,
    identities: Arc<dyn IdentityRepo>,
    audit: Arc<AuditTrail>,
    clock: Arc<dyn Clock>,
    /// Each account's linked identities, which the account page shows on
    /// every visit; forgotten after every write of this service.
    listed: AccountCache<Arc<[LinkedIdentity]>>,
}

impl IdentityService {
    /// Builds the service.
    pub fn new(
        users: Arc<dyn UserRepo>,
        identities: Arc<dyn IdentityRepo>,
        audit: Arc<AuditTrail>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            users,
            identities,
            audit,
            clock,
            listed: AccountCache::default(),
        }
    }

    /// The account `profile` signs in to, by the rules in the module docs.
    pub async fn resolve(
        &self,
        profile: &ExternalProfile,
        policy: SourcePolicy,
        client: &ClientMeta,
    ) -> Result<User, ExternalError> {
        let now = self.clock.now();
        let linked = self
            .identities
            .find_identity(&profile.source, &profile.subject)
            .await?;
        let user = match linked {
            Some(id) => {
                let user = self
                    .users
                    .find_by_id(id)
                    .await?
                    .ok_or(ExternalError::NotLinked)?;
                let touched = self
                    .identities
                    .touch_identity(
                        &profile.source,
                        &profile.subject,
                        profile.email.as_deref(),
                        now,
                    )
                    .await;
                self.listed.forget(id);
                touched?;
                user
            }
            None => self.first_sign_in(profile, policy, client, now).await?,
        };
        if user.locked {
            return Err(ExternalError::AccountUnavailable);
        }
        self.sync_roles(user, profile, client).await
    }

    async fn first_sign_in(
        &self,
        profile: &ExternalProfile,
        policy: SourcePolicy,
        client: &ClientMeta,
        now: OffsetDateTime,
    ) -> Result<User, ExternalError> {
        let email = profile.email.as_deref().and_then(|e| Email::parse(e).ok());
        if policy.trust_email
            && profile.email_verified
            && let Some(email) = &email
            && let Some(found) = self
                .users
                .find_credentials(LoginKey::Email(&email.key()))
                .await?
            // Only an address its owner proved: whoever registered someone
            // else's address first must not receive their provider sign-in.
            && found.user.email_verified
        {
            self.insert_link(&found.user, profile, "verified_email", client, now)
                .await?;
            return Ok(found.user);
        }
        if !policy.create_users {
            return Err(ExternalError::NotLinked);
        }
        let email = email.ok_or(ExternalError::NoEmail)?;
        self.create_account(profile, email, client, now).await
    }

    async fn create_account(
        &self,
        profile: &ExternalProfile,
        email: Email,
        client: &ClientMeta,
        now: OffsetDateTime,
    ) -> Result<User, ExternalError> {
        let wanted = profile
            .username
            .as_deref()
            .or_else(|| email.as_str().split('@').next())
            .unwrap_or("user");
        let mut roles = profile
            .roles
            .as_ref()
            .map(|r| r.granted.clone())
            .unwrap_or_default();
        roles.push(RoleName::user());
        // A directory login name is what the person types: never renamed.
        let attempts = if profile.source == "ldap" { 1 } else { 5 };
        for attempt in 0..attempts {
            let username = username_candidate(wanted, attempt);
            let mut user = User::new_account(username, email.clone(), roles.clone(), now);
            user.email_verified = profile.email_verified;
            let new = NewUser {
                user: user.clone(),
                password_hash: None,
                language: client.language.clone(),
            };
            let identity = NewIdentity::of(user.id, profile, now);
            let event = self.audit.success(AuditKind::UserRegistered, &user, client, json!({"source": profile.source, "roles": user.roles.iter().map(RoleName::as_str).collect::<Vec<_>>()}));
            match self
                .identities
                .insert_user_with_identity(&new, &identity, &event)
                .await
            {
                Ok(()) => {
                    self.audit.committed(&event).await;
                    return Ok(user);
                }
                Err(RepoError::Conflict(UniqueField::Username)) => continue,
                Err(RepoError::Conflict(UniqueField::Email)) => {
                    return Err(ExternalError::EmailTaken);
                }
                Err(RepoError::Conflict(UniqueField::Other)) => {
                    // The same identity was linked by a concurrent first sign-in.
                    return Err(ExternalError::LinkedElsewhere);
                }
                Err(other) => return Err(other.into()),
            }
        }
        Err(ExternalError::UsernameTaken)
    }

    /// Grants and takes away the roles the source manages.
    async fn sync_roles(
        &self,
        user: User,
        profile: &ExternalProfile,
        client: &ClientMeta,
    ) -> Result<User, ExternalError> {
        let Some(sync) = &profile.roles else {
            return Ok(user);
        };
        let mut roles: Vec<RoleName> = user
            .roles
            .iter()
            .filter(|r| !sync.managed.contains(r) || sync.granted.contains(r))
            .cloned()
            .collect();
        roles.extend(sync.granted.iter().cloned());
        roles.sort();
        roles.dedup();
        if roles == user.roles {
            return Ok(user);
        }
        let event = self.audit.success(
            AuditKind::RolesChanged,
            &user,
            client,
            json!({
                "by": profile.source,
                "from": user.roles.iter().map(RoleName::as_str).collect::<Vec<_>>(),
                "to": roles.iter().map(RoleName::as_str).collect::<Vec<_>>(),
            }),
        );
        self.users.set_roles(user.id, &roles, &event).await?;
        self.audit.committed(&event).await;
        Ok(User { roles, ..user })
    }

    /// Whether `user` has a second factor that sign-in must ask for.
    pub async fn has_second_factor(&self, user: &User) -> Result<bool, RepoError> {
        Ok(self
            .users
            .find_credentials(LoginKey::Username(&user.username.key()))
            .await?
            .is_some_and(|c| c.mfa_enabled))
    }

    /// Links `profile` to the signed-in `user` (who has just signed in
    /// again); linking it twice to the same account changes nothing.
    pub async fn link(
        &self,
        user: &User,
        profile: &ExternalProfile,
        client: &ClientMeta,
    ) -> Result<(), ExternalError> {
        match self
            .identities
            .find_identity(&profile.source, &profile.subject)
            .await?
        {
            Some(owner) if owner == user.id => Ok(()),
            Some(_) => Err(ExternalError::LinkedElsewhere),
            None => {
                self.insert_link(user, profile, "user", client, self.clock.now())
                    .await
            }
        }
    }

    async fn insert_link(
        &self,
        user: &User,
        profile: &ExternalProfile,
        via: &str,
        client: &ClientMeta,
        now: OffsetDateTime,
    ) -> Result<(), ExternalError> {
        let identity = NewIdentity::of(user.id, profile, now);
        let event = self.audit.success(
            AuditKind::IdentityLinked,
            user,
            client,
            json!({"source": profile.source, "via": via}),
        );
        let inserted = self.identities.insert_identity(&identity, &event).await;
        self.listed.forget(user.id);
        match inserted {
            Ok(()) => {
                self.audit.committed(&event).await;
                Ok(())
            }
            Err(RepoError::Conflict(_)) => Err(ExternalError::LinkedElsewhere),
            Err(other) => Err(other.into()),
        }
    }

    /// The identities linked to `user`, read from the store now (the admin
    /// console shows what is stored, not what this instance has kept).
    pub async fn list_stored(&self, user: UserId) -> Result<Vec<LinkedIdentity>, ExternalError> {
        Ok(self.identities.list_identities(user).await?)
    }

    /// The identities linked to `user`, kept per account until they change
    /// (see [`AccountCache`]).
    pub async fn list(&self, user: UserId) -> Result<Arc<[LinkedIdentity]>, ExternalError> {
        self.listed
            .get_or_read(user, || async {
                Ok(self.identities.list_identities(user).await?.into())
            })
            .await
    }

    /// Unlinks one identity, unless it is the account's last way to sign in.
    pub async fn unlink(
        &self,
        user: &User,
        source: &str,
        subject: &str,
        client: &ClientMeta,
    ) -> Result<(), ExternalError> {
        let event = self.audit.success(
            AuditKind::IdentityUnlinked,
            user,
            client,
            json!({"source": source}),
        );
        // The last way in (no password, no other identity, no passkey that
        // signs in by itself) stays: decided with the removal, under a lock.
        let removed = self
            .identities
            .delete_identity(user.id, source, subject, &event)
            .await;
        self.listed.forget(user.id);
        match removed? {
            Removal::Removed => {
                self.audit.committed(&event).await;
                Ok(())
            }
            Removal::NotFound => Err(ExternalError::NoSuchIdentity),
            Removal::LastWayIn => Err(ExternalError::LastSignInMethod),
        }
    }
}

/// A valid username from what the source suggested: disallowed characters
/// become `-`, it is cut to fit, and later attempts get a random suffix.
fn username_candidate(wanted: &str, attempt: u32) -> Username {
    let mut base: String = wanted
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '-'
            }
        })
        .skip_while(|c| !c.is_ascii_alphanumeric())
        .take(24)
        .collect();
    if base.len() < 3 {
        base = format!("user-{base}");
    }
    if attempt > 0 {
        let suffix = u16::from_le_bytes(rampart_crypto::random_bytes::<2>()) % 10_000;
        base = format!("{base}-{suffix:04}");
    }
    Username::parse(&base).unwrap_or_else(|_| Username::from_trusted(base))
}

impl crate::coherence::AccountCaching for IdentityService {
    fn forget_user(&self, user: UserId) {
        self.listed.forget(user);
    }

    fn set_caching(&self, on: bool) {
        self.listed.set_caching(on);
    }
}

#[cfg(test)]
mod tests {
    use super::username_candidate;

    #[test]
    fn suggested_usernames_are_made_valid() {
        assert_eq!(
            username_candidate("Ada Lovelace", 0).as_str(),
            "Ada-Lovelace"
        );
        assert_eq!(username_candidate("_x", 0).as_str(), "user-x");
        assert_eq!(username_candidate("émile", 0).as_str(), "mile");
        let again = username_candidate("ada", 1);
        assert!(again.as_str().starts_with("ada-") && again.as_str().len() == 8);
    }
}
