//! Linked identities: what a directory or provider proved about a person,
//! and its link to an account.

use crate::model::{RoleName, UserId};
use time::OffsetDateTime;

/// What a source proved about a person.
#[derive(Debug, Clone)]
pub struct ExternalProfile {
    /// `ldap` or `oidc:<provider id>`.
    pub source: String,
    /// The source's stable id for the person (never the e-mail address).
    pub subject: String,
    /// A username the source suggests (`preferred_username`, GitHub login, `uid`).
    pub username: Option<String>,
    /// The e-mail address the source gives.
    pub email: Option<String>,
    /// The source says it verified that address.
    pub email_verified: bool,
    /// Display name.
    pub name: Option<String>,
    /// Roles the source manages (LDAP group mapping), when it manages any.
    pub roles: Option<RoleSync>,
}

/// Roles a source decides: every role in `managed` is granted when it is in
/// `granted` and taken away when it is not; other roles are left alone.
#[derive(Debug, Clone, Default)]
pub struct RoleSync {
    /// The roles the source's mapping can grant.
    pub managed: Vec<RoleName>,
    /// The ones this person's groups grant.
    pub granted: Vec<RoleName>,
}

/// An identity linked to an account, as the account page lists it.
#[derive(Debug, Clone)]
pub struct LinkedIdentity {
    /// `ldap` or `oidc:<provider id>`.
    pub source: String,
    /// The source's id for the person.
    pub subject: String,
    /// The address the source gave when last used.
    pub email: Option<String>,
    /// When it was linked.
    pub linked_at: OffsetDateTime,
    /// When it was last used to sign in.
    pub last_used_at: OffsetDateTime,
}

/// A new link, as stored.
#[derive(Debug, Clone)]
pub struct NewIdentity {
    /// The account.
    pub user_id: UserId,
    /// `ldap` or `oidc:<provider id>`.
    pub source: String,
    /// The source's id for the person.
    pub subject: String,
    /// The address the source gave.
    pub email: Option<String>,
    /// Now.
    pub at: OffsetDateTime,
}

impl NewIdentity {
    /// The link of `profile` to account `user_id`, made `at`.
    pub fn of(user_id: UserId, profile: &ExternalProfile, at: OffsetDateTime) -> Self {
        Self {
            user_id,
            source: profile.source.clone(),
            subject: profile.subject.clone(),
            email: profile.email.clone(),
            at,
        }
    }
}
