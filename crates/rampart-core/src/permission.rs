//! Roles and what they permit. Two roles are built in: `admin` (every
//! permission) and `user` (none: a signed-in user manages only their own
//! account, which needs no permission). Operators define further roles in the
//! configuration (`[roles.support] permissions = ["users:read", "audit:read"]`).
//!
//! Least privilege: a new account has `user` only. Any well-formed role name
//! can be assigned (it reaches applications through `Remote-Groups` and the
//! access rules); a role that is not declared permits nothing.

use crate::model::{FieldProblem, RoleName, User};
use std::collections::{BTreeMap, BTreeSet};

/// Something an administrative route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    /// See accounts, their sessions and second-factor status.
    UsersRead,
    /// Lock, unlock, delete accounts; end their sessions; reset their
    /// second factor; send them a password reset.
    UsersWrite,
    /// Change the roles of accounts (which can grant any permission).
    RolesWrite,
    /// Read the audit trail.
    AuditRead,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 4] = [
        Permission::UsersRead,
        Permission::UsersWrite,
        Permission::RolesWrite,
        Permission::AuditRead,
    ];

    /// The name used in configuration and answers, e.g. `users:read`.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::UsersRead => "users:read",
            Permission::UsersWrite => "users:write",
            Permission::RolesWrite => "roles:write",
            Permission::AuditRead => "audit:read",
        }
    }

    /// Parses a permission name.
    pub fn parse(raw: &str) -> Option<Permission> {
        Self::ALL.into_iter().find(|p| p.as_str() == raw)
    }
}

/// The built-in administrator role.
pub const ADMIN: &str = "admin";
/// The built-in role of every new account.
pub const USER: &str = "user";

/// True when `user` is the last unlocked account holding `admin`: locking,
/// demoting or deleting them would leave no administrator.
pub async fn is_last_administrator(
    users: &dyn crate::ports::UserRepo,
    user: &User,
) -> Result<bool, crate::ports::RepoError> {
    // A locked administrator is not counted, so it is never the last one.
    Ok(!user.locked
        && user.roles.iter().any(|r| r.as_str() == ADMIN)
        && users.count_with_role(ADMIN).await? <= 1)
}

/// Which role permits what.
#[derive(Debug, Clone, Default)]
pub struct RoleBook {
    custom: BTreeMap<String, BTreeSet<Permission>>,
}

impl RoleBook {
    /// The built-in roles and the `custom` ones (name → permission names).
    /// Redefining `admin` or `user`, an invalid role name or an unknown
    /// permission is refused with the problem named.
    pub fn new(custom: &BTreeMap<String, Vec<String>>) -> Result<Self, FieldProblem> {
        let mut book = BTreeMap::new();
        for (name, permissions) in custom {
            let role = RoleName::parse(name)?;
            if role.as_str() == ADMIN || role.as_str() == USER {
                return Err(FieldProblem::operator(
                    "roles",
                    format!("the role {name:?} is built in and cannot be redefined"),
                ));
            }
            let mut set = BTreeSet::new();
            for raw in permissions {
                let permission = Permission::parse(raw).ok_or_else(|| {
                    FieldProblem::operator(
                        "roles",
                        format!(
                            "role {name:?}: {raw:?} is not a permission; use users:read, users:write, roles:write or audit:read"
                        ),
                    )
                })?;
                set.insert(permission);
            }
            book.insert(name.clone(), set);
        }
        Ok(Self { custom: book })
    }

    /// True when `role` exists (built in or configured).
    pub fn knows(&self, role: &str) -> bool {
        role == ADMIN || role == USER || self.custom.contains_key(role)
    }

    /// Every role name, built-in first.
    pub fn names(&self) -> Vec<String> {
        let mut names = vec![ADMIN.to_owned(), USER.to_owned()];
        names.extend(self.custom.keys().cloned());
        names
    }

    /// What `role` permits.
    pub fn permissions_of_role(&self, role: &str) -> BTreeSet<Permission> {
        match role {
            ADMIN => Permission::ALL.into_iter().collect(),
            other => self.custom.get(other).cloned().unwrap_or_default(),
        }
    }

    /// Everything the user's roles permit together.
    pub fn permissions_of(&self, user: &User) -> BTreeSet<Permission> {
        user.roles
            .iter()
            .flat_map(|r| self.permissions_of_role(r.as_str()))
            .collect()
    }

    /// True when one of the user's roles permits `permission`.
    pub fn allows(&self, user: &User, permission: Permission) -> bool {
        user.roles
            .iter()
            .any(|r| self.permissions_of_role(r.as_str()).contains(&permission))
    }

    /// True when the user holds any administrative permission.
    pub fn is_staff(&self, user: &User) -> bool {
        user.roles.iter().any(|r| {
            r.as_str() == ADMIN || self.custom.get(r.as_str()).is_some_and(|p| !p.is_empty())
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn user(roles: &[&str]) -> User {
        User {
            id: crate::UserId::new(),
            username: crate::Username::parse("someone").unwrap(),
            email: crate::Email::parse("someone@example.com").unwrap(),
            email_verified: true,
            roles: roles
                .iter()
                .map(|r| RoleName::from_trusted((*r).to_owned()))
                .collect(),
            locked: false,
            must_change_password: false,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn least_privilege_and_custom_roles() {
        let custom = BTreeMap::from([(
            "support".to_owned(),
            vec!["users:read".to_owned(), "audit:read".to_owned()],
        )]);
        let book = RoleBook::new(&custom).unwrap();
        assert!(book.permissions_of(&user(&["user"])).is_empty());
        assert!(book.allows(&user(&["admin"]), Permission::RolesWrite));
        let support = user(&["user", "support"]);
        assert!(book.allows(&support, Permission::UsersRead));
        assert!(!book.allows(&support, Permission::UsersWrite));
        assert!(!book.allows(&user(&["ghost"]), Permission::UsersRead));
        assert!(book.permissions_of(&user(&["ghost"])).is_empty());
    }

    #[test]
    fn bad_definitions_are_named() {
        let redefine = BTreeMap::from([("admin".to_owned(), vec![])]);
        assert!(RoleBook::new(&redefine).is_err());
        let unknown = BTreeMap::from([("ops".to_owned(), vec!["root".to_owned()])]);
        let err = RoleBook::new(&unknown).unwrap_err();
        assert!(err.message.contains("root"), "{}", err.message);
    }
}
