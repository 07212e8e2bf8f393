//! An LDAP directory as a password source, through `ldap3`: bind as the
//! service account, search for the user with the configured filter (the
//! login escaped per RFC 4515), then bind as the entry found with the
//! password given. Groups are searched the same way (`{dn}` in the group
//! filter is the user's DN) and mapped to roles. The password is never
//! stored: it goes to the directory in the bind and nowhere else.
//!
//! Transport: `ldaps://`, or `ldap://` with StartTLS; plain `ldap://` only
//! when `allow_plain` says so (checked when the configuration is loaded).
//! Every step is bounded by [`TIMEOUT`], so a directory that hangs cannot
//! hold a sign-in for long.
//!
//! Connections are kept between sign-ins (at most [`POOL_SIZE`] idle, each
//! for at most [`IDLE_FOR`]), so a sign-in saves the TCP and TLS handshakes
//! and the service bind. A kept connection is always bound as the service
//! account: after a user's bind, successful or not, it is bound back before
//! it is kept, and one that fails anything is dropped. A kept connection the
//! directory has closed in the meantime costs one retry of the search on a
//! fresh one; the user's bind is never retried.

use crate::SetupError;
use async_trait::async_trait;
use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry, ldap_escape};
use rampart_core::RoleName;
use rampart_core::external::{ExternalProfile, RoleSync};
use rampart_core::ports::{Directory, DirectoryError};
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest a directory may take to connect, and to answer each step.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// At most this many service-bound connections are kept idle.
pub const POOL_SIZE: usize = 4;

/// A connection idle longer than this is closed rather than reused (well
/// under the idle timeouts directories and firewalls usually apply).
pub const IDLE_FOR: Duration = Duration::from_secs(60);

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
    /// Idle connections bound as the service account, the newest last.
    idle: Mutex<Vec<(ldap3::Ldap, Instant)>>,
}

/// A connection bound as the service account, and whether it was kept from
/// an earlier sign-in (the directory may have closed it since).
struct ServiceConnection {
    ldap: ldap3::Ldap,
    kept: bool,
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
            idle: Mutex::new(Vec::new()),
        })
    }

    /// A kept connection, or a new one bound as the service account.
    async fn service_connection(&self) -> Result<ServiceConnection, DirectoryError> {
        if let Some(ldap) = self.kept() {
            return Ok(ServiceConnection { ldap, kept: true });
        }
        self.fresh_connection().await
    }

    async fn fresh_connection(&self) -> Result<ServiceConnection, DirectoryError> {
        let mut ldap = self.connect().await?;
        self.bind_service(&mut ldap).await?;
        Ok(ServiceConnection { ldap, kept: false })
    }

    /// The newest idle connection still open and not idle too long; older
    /// ones are closed.
    fn kept(&self) -> Option<ldap3::Ldap> {
        let mut idle = self.idle.lock().ok()?;
        let (mut ldap, since) = idle.pop()?;
        if since.elapsed() < IDLE_FOR && !ldap.is_closed() {
            return Some(ldap);
        }
        idle.clear();
        None
    }

    /// Keeps a connection bound as the service account for the next sign-in
    /// (or closes it when enough are kept).
    fn keep(&self, ldap: ldap3::Ldap) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < POOL_SIZE
        {
            idle.push((ldap, Instant::now()));
        }
    }

    /// Binds a connection back as the service account after a user's bind,
    /// and keeps it; one that cannot be bound back is dropped.
    async fn rebind_and_keep(&self, mut ldap: ldap3::Ldap) {
        if self.bind_service(&mut ldap).await.is_ok() {
            self.keep(ldap);
        }
    }

    /// The user's entry, searched on a service connection; a kept connection
    /// that fails is replaced by a fresh one, once.
    async fn find_user_on(
        &self,
        login: &str,
    ) -> Result<(ServiceConnection, Option<SearchEntry>), DirectoryError> {
        let mut conn = self.service_connection().await?;
        match self.find_user(&mut conn.ldap, login).await {
            Ok(entry) => Ok((conn, entry)),
            Err(err) if conn.kept => {
                tracing::debug!(error = %err.0, "a kept LDAP connection failed; trying a fresh one");
                let mut conn = self.fresh_connection().await?;
                let entry = self.find_user(&mut conn.ldap, login).await?;
                Ok((conn, entry))
            }
            Err(err) => Err(err),
        }
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
        let (conn, entry) = self.find_user_on(login).await?;
        let mut ldap = conn.ldap;
        let Some(entry) = entry else {
            self.keep(ldap);
            return Ok(None);
        };
        // From here the connection is bound as the user (or, after a failed
        // bind, as nobody): it is kept only once bound back.
        let bound = ldap
            .with_timeout(TIMEOUT)
            .simple_bind(&entry.dn, password.expose_secret())
            .await
            .map_err(|e| DirectoryError(format!("the user bind failed: {e}")))?;
        if bound.rc != 0 {
            self.rebind_and_keep(ldap).await;
            return Ok(None);
        }
        // Groups are read as the service account, whatever the user may see.
        self.bind_service(&mut ldap).await?;
        let groups = self.groups_of(&mut ldap, &entry.dn).await?;
        self.keep(ldap);
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
