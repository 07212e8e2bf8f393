//! A certificate authority made for one test (rcgen): leaf certificates
//! with chosen names, serials and expiry, written as the PEM files a real
//! deployment would hold, and HTTP clients that trust only this authority.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SerialNumber};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// A test certificate authority.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    /// The authority's certificate (PEM).
    pub pem: String,
}

/// A leaf certificate and its key, as PEM text.
pub struct Leaf {
    /// The certificate (PEM).
    pub cert: String,
    /// The private key (PEM, PKCS#8).
    pub key: String,
}

impl Leaf {
    /// Writes the pair to `cert` and `key` (the key with mode 600).
    pub fn write(&self, cert: &Path, key: &Path) {
        write_private(key, &self.key);
        if let Err(err) = std::fs::write(cert, &self.cert) {
            panic!("cannot write {}: {err}", cert.display());
        }
    }
}

fn write_private(path: &Path, text: &str) {
    if let Err(err) = std::fs::write(path, text) {
        panic!("cannot write {}: {err}", path.display());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
}

impl TestCa {
    /// A fresh authority.
    pub fn new() -> TestCa {
        Self::try_new().unwrap_or_else(|err| panic!("the test CA could not be made: {err}"))
    }

    fn try_new() -> Result<TestCa, rcgen::Error> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "Rampart test CA");
        let key = KeyPair::generate()?;
        let pem = params.self_signed(&key)?.pem();
        Ok(TestCa {
            issuer: Issuer::new(params, key),
            pem,
        })
    }

    /// A leaf for `names` (DNS names or IP addresses) with `serial`, valid
    /// from a day ago until `not_after`.
    pub fn leaf(&self, names: &[&str], serial: u64, not_after: OffsetDateTime) -> Leaf {
        let made = (|| {
            let mut params =
                CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())?;
            params.serial_number = Some(SerialNumber::from(serial));
            params.not_before = OffsetDateTime::now_utc() - time::Duration::days(1);
            params.not_after = not_after;
            let key = KeyPair::generate()?;
            let cert = params.signed_by(&key, &self.issuer)?;
            Ok::<_, rcgen::Error>(Leaf {
                cert: cert.pem(),
                key: key.serialize_pem(),
            })
        })();
        made.unwrap_or_else(|err| panic!("the test leaf could not be made: {err}"))
    }

    /// A leaf for 127.0.0.1 and localhost valid for 90 days, written into
    /// `dir` as `server.pem` and `server.key`; returns the two paths.
    pub fn server_files(&self, dir: &Path, serial: u64) -> (PathBuf, PathBuf) {
        let (cert, key) = (dir.join("server.pem"), dir.join("server.key"));
        let (cert_text, key_text) = self.server_files_text(serial);
        Leaf {
            cert: cert_text,
            key: key_text,
        }
        .write(&cert, &key);
        (cert, key)
    }

    /// A leaf for 127.0.0.1 and localhost valid for 90 days, as PEM text
    /// (certificate, key).
    pub fn server_files_text(&self, serial: u64) -> (String, String) {
        let leaf = self.leaf(
            &["127.0.0.1", "localhost"],
            serial,
            OffsetDateTime::now_utc() + time::Duration::days(90),
        );
        (leaf.cert, leaf.key)
    }

    /// Writes the authority's certificate into `dir` as `ca.pem`.
    pub fn write(&self, dir: &Path) -> PathBuf {
        let path = dir.join("ca.pem");
        if let Err(err) = std::fs::write(&path, &self.pem) {
            panic!("cannot write {}: {err}", path.display());
        }
        path
    }

    /// An HTTP client that trusts this authority only, keeps cookies in
    /// `jar`, follows no redirects and reports the peer certificate.
    pub fn client(&self, jar: std::sync::Arc<reqwest::cookie::Jar>) -> reqwest::Client {
        crate::install_crypto_provider();
        let root = reqwest::Certificate::from_pem(self.pem.as_bytes())
            .unwrap_or_else(|err| panic!("the test CA is not PEM: {err}"));
        reqwest::Client::builder()
            .tls_certs_only([root])
            .tls_info(true)
            .cookie_provider(jar)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|err| panic!("the HTTPS test client could not be built: {err}"))
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}
