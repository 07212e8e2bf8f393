//! An LDAP directory as a password source, through `ldap3`: bind as the
//! service account, search for the user with the configured filter (the
//! login escaped per RFC 4515), then bind as the entry found with the
//! password given. Groups are searched the same way (`{dn}` in the group
//! filter is the user's DN) and mapped to roles. The password is never
//! stored: it goes to the directory in the bind and nowhere else.
//!
//! Transport: `ldaps://`, or `ldap://` with StartTLS; plain `ldap://` only
//! when `allow_plain` says so (checked when the configuration is loaded).
//! Each sign-in opens its own connection, bounded by [`TIMEOUT`], so a
//! directory that hangs cannot hold a sign-in for long.

use crate::SetupError;
use async_trait::async_trait;
use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry, ldap_escape};
use rampart_core::RoleName;
use rampart_core::external::{ExternalProfile, RoleSync};
use rampart_core::ports::{Directory, DirectoryError};
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The longest a directory may take to connect, and to answer each step.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// How to reach the directory and read its entries.
#[derive(Clone)]
pub struct LdapSettings {
    /// `ldaps://host[:port]` or `ldap://host[:port]`.
    pub url: String,
    /// Upgrade `ldap://` with StartTLS.
    pub start_tls: bool,
    /// Extra CA certificates (PEM) for the directory's certificate.
    pub ca_file: Option<PathBuf>,
    /// The service account that searches.
    pub bind_dn: String,
    /// Its password.
    pub bind_password: SecretString,
    /// Where users are.
    pub user_base: String,
    /// `{username}` is replaced by the escaped login.
    pub user_filter: String,
    /// Attribute holding the username.
    pub username_attribute: String,
    /// Attribute holding the e-mail address.
    pub email_attribute: String,
    /// Attribute holding the display name.
    pub name_attribute: String,
    /// Where groups are (none: no group mapping).
    pub group_base: Option<String>,
    /// `{dn}` is replaced by the user's escaped DN.
    pub group_filter: String,
    /// Group DN (compared case-insensitively) → role.
    pub roles: BTreeMap<String, RoleName>,
    /// Addresses in the directory count as verified.
    pub email_verified: bool,
}

/// The directory.
pub struct LdapDirectory {
    settings: LdapSettings,
    tls: Arc<rustls::ClientConfig>,
    roles: BTreeMap<String, RoleName>,
}

impl LdapDirectory {
    /// Checks the settings; nothing is contacted yet.
    pub fn new(settings: LdapSettings) -> Result<Self, SetupError> {
        if !settings.user_filter.contains("{username}") {
            return Err(SetupError(
                "ldap.user_filter must contain {username}".into(),
            ));
        }
        let tls = crate::tls::client_config(settings.ca_file.as_deref())?;
        let roles = settings
            .roles
            .iter()
            .map(|(dn, role)| (normalize_dn(dn), role.clone()))
            .collect();
        Ok(Self {
            settings,
            tls,
            roles,
        })
    }

    async fn connect(&self) -> Result<ldap3::Ldap, DirectoryError> {
        let conn_settings = LdapConnSettings::new()
            .set_conn_timeout(TIMEOUT)
            .set_starttls(self.settings.start_tls)
            .set_config(self.tls.clone());
        let (conn, ldap) = LdapConnAsync::with_settings(conn_settings, &self.settings.url)
            .await
            .map_err(|e| DirectoryError(format!("cannot connect to {}: {e}", self.settings.url)))?;
        tokio::spawn(async move {
            if let Err(err) = conn.drive().await {
                tracing::debug!(error = %err, "LDAP connection ended");
            }
        });
        Ok(ldap)
    }

    /// Binds as the service account.
    async fn bind_service(&self, ldap: &mut ldap3::Ldap) -> Result<(), DirectoryError> {
        ldap.with_timeout(TIMEOUT)
            .simple_bind(
                &self.settings.bind_dn,
                self.settings.bind_password.expose_secret(),
            )
            .await
            .and_then(|r| r.success())
            .map(|_| ())
            .map_err(|e| DirectoryError(format!("the service account cannot bind: {e}")))
    }

    async fn find_user(
        &self,
        ldap: &mut ldap3::Ldap,
        login: &str,
    ) -> Result<Option<SearchEntry>, DirectoryError> {
        self.bind_service(ldap).await?;
        let filter = self
            .settings
            .user_filter
            .replace("{username}", &ldap_escape(login));
        let attributes = vec![
            self.settings.username_attribute.as_str(),
            self.settings.email_attribute.as_str(),
            self.settings.name_attribute.as_str(),
            "entryUUID",
        ];
        let (entries, _) = ldap
            .with_timeout(TIMEOUT)
            .search(
                &self.settings.user_base,
                Scope::Subtree,
                &filter,
                attributes,
            )
            .await
            .and_then(|r| r.success())
            .map_err(|e| DirectoryError(format!("the user search failed: {e}")))?;
        let mut entries = entries.into_iter().map(SearchEntry::construct);
        match (entries.next(), entries.next()) {
            (Some(entry), None) => Ok(Some(entry)),
            (Some(_), Some(_)) => {
                tracing::warn!("the LDAP user filter matched more than one entry; refusing");
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    async fn groups_of(
        &self,
        ldap: &mut ldap3::Ldap,
        dn: &str,
    ) -> Result<Vec<String>, DirectoryError> {
        let Some(base) = &self.settings.group_base else {
            return Ok(Vec::new());
        };
        let filter = self.settings.group_filter.replace("{dn}", &ldap_escape(dn));
        let (entries, _) = ldap
            .with_timeout(TIMEOUT)
            .search(base, Scope::Subtree, &filter, vec!["1.1"])
            .await
            .and_then(|r| r.success())
            .map_err(|e| DirectoryError(format!("the group search failed: {e}")))?;
        Ok(entries
            .into_iter()
            .map(|e| SearchEntry::construct(e).dn)
            .collect())
    }

    fn profile(&self, entry: &SearchEntry, groups: &[String]) -> ExternalProfile {
        let first = |name: &str| {
            entry
                .attrs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.first().cloned())
        };
        let granted = groups
            .iter()
            .filter_map(|g| self.roles.get(&normalize_dn(g)).cloned())
            .collect();
        ExternalProfile {
            source: "ldap".into(),
            subject: first("entryUUID").unwrap_or_else(|| normalize_dn(&entry.dn)),
            username: first(&self.settings.username_attribute),
            email: first(&self.settings.email_attribute),
            email_verified: self.settings.email_verified,
            name: first(&self.settings.name_attribute),
            roles: (!self.roles.is_empty()).then(|| RoleSync {
                managed: self.roles.values().cloned().collect(),
                granted,
            }),
        }
    }
}

/// A DN compared case-insensitively and without spaces after separators.
fn normalize_dn(dn: &str) -> String {
    dn.split(',')
        .map(|part| part.trim().to_lowercase())
        .collect::<Vec<_>>()
        .join(",")
}

#[async_trait]
impl Directory for LdapDirectory {
    async fn authenticate(
        &self,
        login: &str,
        password: &SecretString,
    ) -> Result<Option<ExternalProfile>, DirectoryError> {
        // An empty password would be an "unauthenticated bind", which
        // directories answer with success.
        if password.expose_secret().is_empty() {
            return Ok(None);
        }
        let mut ldap = self.connect().await?;
        let Some(entry) = self.find_user(&mut ldap, login).await? else {
            let _ = ldap.unbind().await;
            return Ok(None);
        };
        let bound = ldap
            .with_timeout(TIMEOUT)
            .simple_bind(&entry.dn, password.expose_secret())
            .await
            .map_err(|e| DirectoryError(format!("the user bind failed: {e}")))?;
        if bound.rc != 0 {
            let _ = ldap.unbind().await;
            return Ok(None);
        }
        // Groups are read as the service account, whatever the user may see.
        self.bind_service(&mut ldap).await?;
        let groups = self.groups_of(&mut ldap, &entry.dn).await?;
        let _ = ldap.unbind().await;
        Ok(Some(self.profile(&entry, &groups)))
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_dn;

    #[test]
    fn dns_compare_without_case_or_spaces() {
        assert_eq!(
            normalize_dn("CN=Admins, OU=Groups,dc=Example,dc=com"),
            "cn=admins,ou=groups,dc=example,dc=com"
        );
    }
}
