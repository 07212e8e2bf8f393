//! What operators do to other people's accounts, from the command line, the
//! admin console and the admin API: find and list accounts, lock and unlock,
//! end sessions, reset a second factor, send a password reset, change roles,
//! delete. Every action is audited with who did it (`by`), and none may leave
//! the deployment without an administrator.
//!
//! Who may call a route is decided before this layer, by the route's
//! permission ([`crate::permission`]). Here, on top: no escalation. An
//! operator account may act on another account only when every permission
//! that account holds is one of its own, and may grant only roles whose
//! permissions it holds, so a role with `users:write` cannot lock or delete
//! an administrator, nor make itself one. The host's command line
//! ([`Operator::Host`]) is not restricted.

use crate::account::AdminError;
use crate::audit::{AuditTrail, ClientMeta};
use crate::clock::Clock;
use crate::coherence::AccountCaching;
use crate::mfa::MfaService;
use crate::model::Words;
use crate::model::audit::AuditKind;
use crate::model::mfa::ResetReason;
use crate::model::{RoleName, User, UserId};
use crate::permission::{ADMIN, RoleBook};
use crate::ports::{AccountCounts, AuditRepo, SessionRepo, UserOverview, UserRepo};
use crate::recovery::RecoveryService;
use crate::session::SessionService;
use crate::throttle::LoginThrottle;
use crate::token::TokenService;
use serde_json::json;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// The repositories the operator actions read and write.
pub struct AdminRepos {
    /// Accounts.
    pub users: Arc<dyn UserRepo>,
    /// Sessions (counted for the dashboard).
    pub sessions: Arc<dyn SessionRepo>,
    /// The audit trail (charted for the dashboard).
    pub events: Arc<dyn AuditRepo>,
}

/// The services operator actions go through.
pub struct AdminServices {
    /// Session cache and revocation.
    pub sessions: Arc<SessionService>,
    /// Personal access token cache.
    pub tokens: Arc<TokenService>,
    /// Second factors.
    pub mfa: Arc<MfaService>,
    /// Password-reset mail.
    pub recovery: Arc<RecoveryService>,
    /// Brute-force lock-outs (lifted on unlock).
    pub throttle: Arc<LoginThrottle>,
    /// The audit trail.
    pub audit: Arc<AuditTrail>,
}

/// Sign-ins in one hour, for the dashboard chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourOfSignIns {
    /// Start of the hour.
    pub hour: OffsetDateTime,
    /// `login.succeeded` events.
    pub succeeded: i64,
    /// `login.failed` events.
    pub failed: i64,
}

/// What the dashboard shows.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// The last 7 × 24 hours, oldest first (hours without sign-ins included).
    pub sign_ins: Vec<HourOfSignIns>,
    /// Sessions not past their expiry.
    pub active_sessions: i64,
    /// Account totals.
    pub accounts: AccountCounts,
}

/// A page of accounts.
#[derive(Debug, Clone)]
pub struct UserPage {
    /// The accounts on this page.
    pub users: Vec<UserOverview>,
    /// How many accounts match in all.
    pub total: i64,
}

/// Who carries out an operator action.
#[derive(Debug, Clone, Copy)]
pub enum Operator<'a> {
    /// The host's command line (`rampart user …`): unrestricted.
    Host,
    /// A signed-in account, through the console or the API: restricted to
    /// accounts and roles within its own permissions.
    Account(&'a User),
}

impl Operator<'_> {
    /// Who acted, as audit events record it: `operator` (the command line)
    /// or `administrator NAME`.
    pub fn describe(&self) -> String {
        match self {
            Operator::Host => "operator".to_owned(),
            Operator::Account(admin) => format!("administrator {}", admin.username.as_str()),
        }
    }
}

/// An action on one account, as the console's buttons and the API's routes
/// name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// [`AdminService::lock`].
    Lock,
    /// [`AdminService::unlock`].
    Unlock,
    /// [`AdminService::end_sessions`].
    EndSessions,
    /// [`AdminService::send_password_reset`].
    SendPasswordReset,
    /// [`AdminService::delete`].
    Delete,
}

/// Operator actions on accounts.
pub struct AdminService {
    repos: AdminRepos,
    services: AdminServices,
    roles: Arc<RoleBook>,
    clock: Arc<dyn Clock>,
}

/// The dashboard's window.
const CHART_HOURS: i64 = 7 * 24;

impl AdminService {
    /// The service over `repos` and `services`, with the deployment's roles.
    pub fn new(
        repos: AdminRepos,
        services: AdminServices,
        roles: Arc<RoleBook>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            repos,
            services,
            roles,
            clock,
        }
    }

    /// The deployment's roles and their permissions.
    pub fn roles(&self) -> &RoleBook {
        &self.roles
    }

    /// The account called `username` (case-insensitive).
    pub async fn find(&self, username: &str) -> Result<User, AdminError> {
        self.repos
            .users
            .find_by_username(&username.to_ascii_lowercase())
            .await?
            .ok_or_else(|| AdminError::NoSuchUser(username.to_owned()))
    }

    /// The account with this id.
    pub async fn by_id(&self, id: UserId) -> Result<Option<UserOverview>, AdminError> {
        let Some(user) = self.repos.users.find_by_id(id).await? else {
            return Ok(None);
        };
        let mfa_enabled = self.services.mfa.is_enabled(id).await?;
        Ok(Some(UserOverview { user, mfa_enabled }))
    }

    /// Accounts whose username or e-mail contains `search`, `limit` (1–200)
    /// from `offset`.
    pub async fn search(
        &self,
        search: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<UserPage, AdminError> {
        let (users, total) = self
            .repos
            .users
            .search_users(search, limit.clamp(1, 200), offset.max(0))
            .await?;
        Ok(UserPage { users, total })
    }

    /// Sign-ins per hour over the last 7 days, live sessions and account totals.
    pub async fn dashboard(&self) -> Result<Dashboard, AdminError> {
        let now = self.clock.now();
        let first = (now.unix_timestamp() / 3600 - (CHART_HOURS - 1)) * 3600;
        let since = OffsetDateTime::from_unix_timestamp(first).unwrap_or(now);
        let counts = self
            .repos
            .events
            .count_events_by_hour(&[AuditKind::LoginSucceeded, AuditKind::LoginFailed], since)
            .await?;
        let sign_ins = (0..CHART_HOURS)
            .map(|i| {
                let start = first + i * 3600;
                let of = |kind: AuditKind| {
                    counts
                        .iter()
                        .filter(|(h, k, _)| *h == start && *k == kind)
                        .map(|(_, _, n)| n)
                        .sum()
                };
                HourOfSignIns {
                    hour: since + Duration::hours(i),
                    succeeded: of(AuditKind::LoginSucceeded),
                    failed: of(AuditKind::LoginFailed),
                }
            })
            .collect();
        Ok(Dashboard {
            sign_ins,
            active_sessions: self.repos.sessions.count_live_sessions(now).await?,
            accounts: self.repos.users.account_counts().await?,
        })
    }

    /// The roles to suggest when assigning: the declared ones and every
    /// role some account holds, sorted, without repeats.
    pub async fn role_suggestions(&self) -> Result<Vec<String>, AdminError> {
        let mut names = self.roles.names();
        names.extend(self.repos.users.roles_in_use().await?);
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// Refuses unless `operator` holds every permission `target` holds.
    pub fn may_act_on(&self, operator: Operator<'_>, target: &User) -> Result<(), AdminError> {
        let Operator::Account(by) = operator else {
            return Ok(());
        };
        let own = self.roles.permissions_of(by);
        let missing: Vec<&str> = self
            .roles
            .permissions_of(target)
            .difference(&own)
            .map(|p| p.as_str())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let missing = missing.join(", ");
        Err(AdminError::Forbidden(
            Words::new(
                "error-admin-outranked",
                format!(
                    "This account holds permissions your roles do not grant ({missing}), so you cannot act on it."
                ),
            )
            .with("permissions", missing),
        ))
    }

    /// Refuses unless `operator` may give `target` the roles `roles`: it
    /// acts on the account (see [`Self::may_act_on`]), holds every permission
    /// of every role, and, on its own account, adds no role it does not hold
    /// unless it holds every permission (a role without permissions may
    /// still open applications through the access rules). Checks only;
    /// nothing is written.
    pub fn may_set_roles(
        &self,
        operator: Operator<'_>,
        target: &User,
        roles: &[RoleName],
    ) -> Result<(), AdminError> {
        self.may_act_on(operator, target)?;
        let Operator::Account(by) = operator else {
            return Ok(());
        };
        let own = self.roles.permissions_of(by);
        let everything = crate::permission::Permission::ALL
            .iter()
            .all(|p| own.contains(p));
        if by.id == target.id
            && !everything
            && let Some(added) = roles.iter().find(|r| !by.roles.contains(r))
        {
            return Err(AdminError::Forbidden(
                Words::new(
                    "error-admin-own-role",
                    format!(
                        "You cannot give yourself the role {:?}; ask an administrator.",
                        added.as_str()
                    ),
                )
                .with("role", added.as_str()),
            ));
        }
        for role in roles {
            let carried = self.roles.permissions_of_role(role.as_str());
            if !carried.is_subset(&own) {
                return Err(AdminError::Forbidden(
                    Words::new(
                        "error-admin-role-outranks",
                        format!(
                            "The role {:?} carries permissions your roles do not grant, so you cannot give it.",
                            role.as_str()
                        ),
                    )
                    .with("role", role.as_str()),
                ));
            }
        }
        Ok(())
    }

    /// Refuses when `user` is the last administrator and would stop being one.
    async fn keep_an_administrator(&self, user: &User) -> Result<(), AdminError> {
        if crate::permission::is_last_administrator(self.repos.users.as_ref(), user).await? {
            return Err(AdminError::LastAdministrator);
        }
        Ok(())
    }

    /// Locks the account: it cannot sign in, its sessions end at once (one
    /// transaction with the flag) and its tokens stop working.
    async fn lock(&self, user: &User, by: &ClientMeta) -> Result<(), AdminError> {
        self.keep_an_administrator(user).await?;
        let audit = &self.services.audit;
        let event = audit.success(AuditKind::UserLocked, user, by, json!({}));
        self.repos.users.set_locked(user.id, true, &event).await?;
        self.forget(user.id);
        audit.committed(&event).await;
        Ok(())
    }

    /// Unlocks the account and lifts any brute-force lock-out of its names.
    async fn unlock(&self, user: &User, by: &ClientMeta) -> Result<(), AdminError> {
        let audit = &self.services.audit;
        let event = audit.success(AuditKind::UserUnlocked, user, by, json!({}));
        self.repos.users.set_locked(user.id, false, &event).await?;
        let throttle = &self.services.throttle;
        throttle.clear_name(user.username.as_str()).await?;
        throttle.clear_name(user.email.as_str()).await?;
        throttle
            .clear_account(
                &user.id.to_string(),
                &[user.username.as_str(), user.email.as_str()],
            )
            .await?;
        self.forget(user.id);
        audit.committed(&event).await;
        Ok(())
    }

    /// Replaces the account's roles, as `operator` (see the module: no
    /// escalation). Any well-formed role name may be given: declared roles
    /// carry their permissions, others none. Sessions stay; the next request
    /// of any of them sees the new roles.
    pub async fn set_roles(
        &self,
        user: &User,
        roles: Vec<RoleName>,
        operator: Operator<'_>,
        by: &ClientMeta,
    ) -> Result<User, AdminError> {
        let mut roles = roles;
        roles.sort();
        roles.dedup();
        self.may_set_roles(operator, user, &roles)?;
        if !roles.iter().any(|r| r.as_str() == ADMIN) {
            self.keep_an_administrator(user).await?;
        }
        let names = |roles: &[RoleName]| {
            roles
                .iter()
                .map(RoleName::as_str)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        let audit = &self.services.audit;
        let event = audit.success(
            AuditKind::RolesChanged,
            user,
            by,
            json!({"from": names(&user.roles), "to": names(&roles)}),
        );
        self.repos.users.set_roles(user.id, &roles, &event).await?;
        self.forget(user.id);
        audit.committed(&event).await;
        Ok(User {
            roles,
            ..user.clone()
        })
    }

    /// Ends every session of the account.
    async fn end_sessions(&self, user: &User, by: &ClientMeta) -> Result<(), AdminError> {
        self.services
            .sessions
            .revoke_all_except(user, None, by)
            .await?;
        Ok(())
    }

    /// Removes the account's second factor (lost phone and codes), for the
    /// `reason` the operator gives (required; recorded in `mfa.disabled`
    /// with who did it); the user is told by mail. The identity-proofing
    /// procedure that must come first is in `docs/security.md`.
    pub async fn reset_second_factor(
        &self,
        user: &User,
        operator: Operator<'_>,
        by: &ClientMeta,
        reason: &str,
    ) -> Result<(), AdminError> {
        self.may_act_on(operator, user)?;
        let reason = ResetReason::parse(reason).map_err(AdminError::Invalid)?;
        let who = operator.describe();
        Ok(self.services.mfa.reset_for(user, by, &who, &reason).await?)
    }

    /// Mails the account a password-reset link (the operator never sees it).
    async fn send_password_reset(&self, user: &User, by: &ClientMeta) -> Result<(), AdminError> {
        Ok(self
            .services
            .recovery
            .mail_reset_link(user, by, "operator")
            .await?)
    }

    /// Deletes the account with everything that hangs off it.
    async fn delete(&self, user: &User, by: &ClientMeta) -> Result<(), AdminError> {
        self.keep_an_administrator(user).await?;
        let audit = &self.services.audit;
        let event = audit.success(AuditKind::UserDeleted, user, by, json!({"by": "operator"}));
        // Sessions, tokens and roles go with the row (ON DELETE CASCADE).
        self.repos.users.delete_user(user.id, &event).await?;
        self.forget(user.id);
        audit.committed(&event).await;
        Ok(())
    }

    /// Carries out `action` on `user`, as `operator` (see the module: no
    /// escalation).
    pub async fn act(
        &self,
        action: Action,
        user: &User,
        operator: Operator<'_>,
        by: &ClientMeta,
    ) -> Result<(), AdminError> {
        self.may_act_on(operator, user)?;
        match action {
            Action::Lock => self.lock(user, by).await,
            Action::Unlock => self.unlock(user, by).await,
            Action::EndSessions => self.end_sessions(user, by).await,
            Action::SendPasswordReset => self.send_password_reset(user, by).await,
            Action::Delete => self.delete(user, by).await,
        }
    }

    /// Drops the account from the session and token caches, so that its
    /// next request re-reads it.
    fn forget(&self, user: UserId) {
        self.services.sessions.forget_user(user);
        self.services.tokens.forget_user(user);
    }
}
