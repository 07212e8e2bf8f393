//! Built-in HTTPS: the certificate and key the listener serves, read from
//! PEM files (`tls_cert`, `tls_key`) and re-read without a restart.
//!
//! - TLS 1.2 and 1.3 only, rustls' default (safe) cipher suites with the
//!   ring provider, HTTP/2 and HTTP/1.1 offered by ALPN.
//! - The pair is held behind a resolver: every new handshake asks it for the
//!   current pair, so a reload reaches new connections at once while open
//!   ones keep the pair they started with.
//! - The files are polled (every second) for a change of size or time, and
//!   SIGHUP forces a re-read. A pair that cannot be used (unreadable, not
//!   PEM, a key that does not match, an expired certificate) is refused: the
//!   old pair stays in service, one error is logged and
//!   `rampart_tls_reload_failures_total` counts it.
//! - At startup the same problems stop `rampart serve` with one sentence
//!   naming the file; an expired certificate only warns there (`rampart
//!   check` reports it, with one that expires within 14 days).

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};
use time::OffsetDateTime;

/// The two PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Why a certificate and key cannot be served; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The file cannot be read.
    #[error("{}: cannot be read ({source})", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// No PEM certificate in the file.
    #[error("{}: holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)", path.display())]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// No PEM private key in the file.
    #[error("{}: holds no PEM private key (expected -----BEGIN PRIVATE KEY-----)", path.display())]
    NoKey {
        /// The file.
        path: PathBuf,
    },
    /// The certificate is not a readable X.509 certificate.
    #[error("{}: the certificate cannot be read ({reason})", path.display())]
    BadCertificate {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The key cannot be used, or is not the certificate's.
    #[error("{}: the private key does not match the certificate in {}", key.display(), cert.display())]
    Mismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// The key is of a kind rustls cannot sign with.
    #[error("{}: the private key cannot be used ({reason})", path.display())]
    BadKey {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The certificate's validity has ended.
    #[error("{}: the certificate expired on {when}", path.display())]
    Expired {
        /// The file.
        path: PathBuf,
        /// Its `notAfter`.
        when: String,
    },
}

/// A certificate and key ready to serve, with what `rampart check` and
/// `/metrics` read from the certificate.
#[derive(Debug, Clone)]
pub struct Pair {
    /// What rustls serves.
    pub key: Arc<CertifiedKey>,
    /// The leaf's `notAfter`.
    pub not_after: OffsetDateTime,
    /// The leaf's DNS names (subject alternative names).
    pub names: Vec<String>,
    /// The leaf's IP addresses (subject alternative names).
    pub addresses: Vec<std::net::IpAddr>,
    /// The leaf's serial number, in hexadecimal.
    pub serial: String,
}

impl Pair {
    /// Whether the leaf covers `host` (a DNS name, with one `*.` label
    /// allowed, or an IP address).
    pub fn covers(&self, host: &str) -> bool {
        // An address host needs an address name (as browsers check it).
        if let Ok(ip) = host.parse::<std::net::IpAddr>() {
            return self.addresses.contains(&ip);
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.names.iter().any(|name| {
            let name = name.to_ascii_lowercase();
            match name.strip_prefix("*.") {
                // A wildcard covers one label, under a parent of two or more.
                Some(parent) => {
                    parent.contains('.')
                        && host
                            .split_once('.')
                            .is_some_and(|(label, rest)| !label.is_empty() && rest == parent)
                }
                None => name == host,
            }
        })
    }
}

/// Reads and checks the pair (an expired certificate is not refused here;
/// see [`Certificates::reload`]).
/// Now, by the wall clock: certificates are judged by real time, as the
/// clients that check them do (not by an injected test clock).
fn real_time() -> OffsetDateTime {
    rampart_core::Clock::now(&rampart_core::SystemClock)
}

pub fn load(files: &TlsFiles) -> Result<Pair, TlsError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| TlsError::Unreadable {
            path: path.to_owned(),
            source,
        })
    };
    let cert_pem = read(&files.cert)?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|_| TlsError::NoCertificate {
            path: files.cert.clone(),
        })?;
    let leaf = chain.first().ok_or_else(|| TlsError::NoCertificate {
        path: files.cert.clone(),
    })?;
    let (not_after, (names, addresses), serial) =
        describe(leaf).map_err(|reason| TlsError::BadCertificate {
            path: files.cert.clone(),
            reason,
        })?;
    let key_pem = zeroize::Zeroizing::new(read(&files.key)?);
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| TlsError::NoKey {
        path: files.key.clone(),
    })?;
    let provider = provider();
    let certified = CertifiedKey::from_der(chain, key, &provider).map_err(|err| match err {
        rustls::Error::InconsistentKeys(_) => TlsError::Mismatch {
            cert: files.cert.clone(),
            key: files.key.clone(),
        },
        other => TlsError::BadKey {
            path: files.key.clone(),
            reason: other.to_string(),
        },
    })?;
    Ok(Pair {
        key: Arc::new(certified),
        not_after,
        names,
        addresses,
        serial,
    })
}

/// The leaf's DNS names and addresses.
type Names = (Vec<String>, Vec<std::net::IpAddr>);

/// The leaf's `notAfter`, names and serial.
fn describe(leaf: &CertificateDer<'_>) -> Result<(OffsetDateTime, Names, String), String> {
    use x509_parser::extensions::GeneralName;
    let (_, cert) = x509_parser::parse_x509_certificate(leaf).map_err(|e| e.to_string())?;
    let not_after = cert.validity().not_after.to_datetime();
    let (mut names, mut addresses) = (Vec::new(), Vec::new());
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(dns) => names.push((*dns).to_owned()),
                GeneralName::IPAddress(bytes) => {
                    let ip = match bytes.len() {
                        4 => <[u8; 4]>::try_from(*bytes).ok().map(std::net::IpAddr::from),
                        16 => <[u8; 16]>::try_from(*bytes)
                            .ok()
                            .map(std::net::IpAddr::from),
                        _ => None,
                    };
                    addresses.extend(ip);
                }
                _ => {}
            }
        }
    }
    Ok((not_after, (names, addresses), cert.raw_serial_as_string()))
}

/// What `rampart check` reports about the pair: one that cannot be served,
/// a certificate that expires within 14 days (or has), a key file that
/// group or others may read, and a base URL host the certificate does not
/// cover.
pub fn findings(files: &TlsFiles, base_url: &url::Url) -> Vec<String> {
    let mut findings = Vec::new();
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(&files.key) {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            findings.push(format!(
                "{}: the TLS private key is open to group or others (mode {mode:o}); chmod 600 it",
                files.key.display()
            ));
        }
    }
    let pair = match load(files) {
        Ok(pair) => pair,
        Err(err) => {
            findings.push(err.to_string());
            return findings;
        }
    };
    let left = pair.not_after - real_time();
    if left <= time::Duration::ZERO {
        findings.push(format!(
            "{}: the TLS certificate expired on {}",
            files.cert.display(),
            pair.not_after
        ));
    } else if left < time::Duration::days(14) {
        findings.push(format!(
            "{}: the TLS certificate expires in {} day(s), on {}; renew it (it is reloaded without a restart)",
            files.cert.display(),
            left.whole_days(),
            pair.not_after
        ));
    }
    if let Some(host) = base_url.host_str() {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if !pair.covers(host) {
            findings.push(format!(
                "{}: the TLS certificate does not cover the base URL's host {host} (it names {})",
                files.cert.display(),
                {
                    let all: Vec<String> = pair
                        .names
                        .iter()
                        .cloned()
                        .chain(pair.addresses.iter().map(ToString::to_string))
                        .collect();
                    if all.is_empty() {
                        "no DNS name or address".to_owned()
                    } else {
                        all.join(", ")
                    }
                }
            ));
        }
    }
    findings
}

/// The pair in service, swapped by reloads.
#[derive(Debug)]
pub struct Certificates {
    files: TlsFiles,
    current: RwLock<Arc<Pair>>,
    failures: AtomicU64,
}

impl Certificates {
    /// Loads the pair for the first time (startup: every problem but an
    /// expired certificate is fatal).
    pub fn open(files: TlsFiles) -> Result<Arc<Self>, TlsError> {
        let pair = load(&files)?;
        if pair.not_after <= real_time() {
            tracing::warn!(
                file = %files.cert.display(),
                not_after = %pair.not_after,
                "the TLS certificate has expired; clients will refuse it until it is replaced"
            );
        }
        Ok(Arc::new(Self {
            files,
            current: RwLock::new(Arc::new(pair)),
            failures: AtomicU64::new(0),
        }))
    }

    /// The pair in service.
    pub fn current(&self) -> Arc<Pair> {
        match self.current.read() {
            Ok(pair) => pair.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reloads that were refused so far.
    pub fn reload_failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Re-reads the files; a pair that cannot be used (or has expired)
    /// leaves the old one in service.
    pub fn reload(&self) -> Result<(), TlsError> {
        let refused = |err: TlsError| {
            self.failures.fetch_add(1, Ordering::Relaxed);
            tracing::error!(error = %err, "the TLS certificate was not reloaded; the previous one stays in service");
            err
        };
        let pair = load(&self.files).map_err(refused)?;
        if pair.not_after <= real_time() {
            return Err(refused(TlsError::Expired {
                path: self.files.cert.clone(),
                when: pair.not_after.to_string(),
            }));
        }
        tracing::info!(serial = %pair.serial, not_after = %pair.not_after, "TLS certificate reloaded");
        let pair = Arc::new(pair);
        match self.current.write() {
            Ok(mut current) => *current = pair,
            Err(poisoned) => *poisoned.into_inner() = pair,
        }
        Ok(())
    }

    /// The rustls configuration that serves this pair: TLS 1.2 and 1.3,
    /// HTTP/2 then HTTP/1.1 by ALPN.
    pub fn server_config(self: &Arc<Self>) -> Result<Arc<rustls::ServerConfig>, rustls::Error> {
        let provider = provider();
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    /// Re-reads the pair when either file changes (polled every second) and
    /// on SIGHUP, until `stop` resolves.
    pub async fn watch(
        self: Arc<Self>,
        stop: impl std::future::Future<Output = ()>,
        report: impl Fn(&Self),
    ) {
        report(&self);
        let mut seen = self.stamp();
        let mut changed = false;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        #[cfg(unix)]
        let mut hangup =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        tokio::pin!(stop);
        loop {
            #[cfg(unix)]
            let hung_up = async {
                match hangup.as_mut() {
                    Some(signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            #[cfg(not(unix))]
            let hung_up = std::future::pending::<()>();
            tokio::select! {
                () = &mut stop => return,
                () = hung_up => {
                    seen = self.stamp();
                    changed = false;
                    let _ = self.reload();
                    report(&self);
                }
                _ = tick.tick() => {
                    // Read once the files have stopped changing for a tick:
                    // a renewal that writes the key, then the certificate,
                    // is read once, whole.
                    let now = self.stamp();
                    if now != seen {
                        seen = now;
                        changed = true;
                    } else if std::mem::take(&mut changed) {
                        let _ = self.reload();
                        report(&self);
                    }
                }
            }
        }
    }

    /// Size, modification time and inode of both files (changed by a
    /// renewal, in place or by renaming a new file over the old).
    fn stamp(&self) -> [Option<(u64, SystemTime, u64)>; 2] {
        let of = |path: &Path| {
            let meta = std::fs::metadata(path).ok()?;
            #[cfg(unix)]
            let inode = std::os::unix::fs::MetadataExt::ino(&meta);
            #[cfg(not(unix))]
            let inode = 0;
            Some((meta.len(), meta.modified().ok()?, inode))
        };
        [of(&self.files.cert), of(&self.files.key)]
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current().key.clone())
    }
}

/// The process's crypto provider (ring, installed at start), or ring.
fn provider() -> Arc<CryptoProvider> {
    CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pair(names: &[&str]) -> Pair {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(Vec::<String>::new())
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let provider = rustls::crypto::ring::default_provider();
        let der = PrivateKeyDer::try_from(key.serialize_der()).unwrap();
        Pair {
            key: Arc::new(
                CertifiedKey::from_der(vec![cert.der().clone()], der, &provider).unwrap(),
            ),
            not_after: real_time(),
            names: names.iter().map(|n| (*n).to_owned()).collect(),
            addresses: vec!["192.0.2.7".parse().unwrap()],
            serial: String::new(),
        }
    }

    #[test]
    fn names_cover_hosts_like_browsers_match_them() {
        let p = pair(&[
            "auth.example.com",
            "*.apps.example.com",
            "*.com",
            "192.0.2.8",
        ]);
        for host in [
            "auth.example.com",
            "AUTH.example.com.",
            "x.apps.example.com",
            "192.0.2.7",
        ] {
            assert!(p.covers(host), "{host}");
        }
        for host in [
            "example.com",
            "a.b.apps.example.com",
            "apps.example.com",
            "192.0.2.8",
            ".apps.example.com",
        ] {
            assert!(!p.covers(host), "{host}");
        }
    }
}
