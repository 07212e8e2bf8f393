//! The top-level keys: the mode, where and how Rampart listens (address,
//! built-in HTTPS, public URL, the plain-HTTP redirect, trusted proxies), and
//! where it keeps its data.

use super::{ConfigError, Mode, Problems, StringList, defaults};
use ipnet::IpNet;
use std::net::SocketAddr;
use std::path::PathBuf;
use url::Url;

/// Checks `env`.
pub fn check_mode(env: Option<&str>, p: &mut Problems) -> Mode {
    p.choice(
        "env",
        env,
        Mode::Development,
        &[
            ("development", Mode::Development),
            ("production", Mode::Production),
        ],
    )
}

/// The listener's keys as written.
pub struct RawListener {
    /// `listen`.
    pub listen: Option<String>,
    /// `tls_cert`.
    pub tls_cert: Option<PathBuf>,
    /// `tls_key`.
    pub tls_key: Option<PathBuf>,
    /// `base_url`.
    pub base_url: Option<String>,
    /// `redirect_http_listen`.
    pub redirect_http_listen: Option<String>,
}

/// Where and how Rampart listens, checked.
pub struct Listener {
    /// The address.
    pub listen: SocketAddr,
    /// Built-in HTTPS, when configured.
    pub tls: Option<crate::tls::TlsFiles>,
    /// The public URL (https with built-in HTTPS).
    pub base_url: Url,
    /// The plain-HTTP listener that redirects to HTTPS.
    pub redirect_http_listen: Option<SocketAddr>,
}

/// Checks the listener: the address, both TLS files or neither, a public
/// URL that is https when Rampart serves HTTPS itself.
pub fn check_listener(raw: RawListener, p: &mut Problems) -> Result<Listener, ConfigError> {
    let RawListener {
        listen,
        tls_cert,
        tls_key,
        base_url,
        redirect_http_listen,
    } = raw;
    let listen_text = listen.unwrap_or_else(|| defaults::LISTEN.to_owned());
    let fallback = SocketAddr::from(([127, 0, 0, 1], 8080));
    let listen: SocketAddr = listen_text.parse().unwrap_or_else(|_| {
        p.push(format!(
            "listen address {listen_text:?} is not an IP:port such as {}",
            defaults::LISTEN
        ));
        fallback
    });
    let tls = match (tls_cert, tls_key) {
        (Some(cert), Some(key)) => Some(crate::tls::TlsFiles { cert, key }),
        (None, None) => None,
        _ => {
            p.push("tls_cert and tls_key go together: set both for built-in HTTPS, or neither");
            None
        }
    };
    let base_text = base_url.unwrap_or_else(|| {
        let scheme = if tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{listen}")
    });
    let base_url = match Url::parse(&base_text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => url,
        _ => {
            p.push(format!("base_url {base_text:?} is not an http(s) URL"));
            Url::parse(&format!("http://{fallback}/"))
                .map_err(|e| ConfigError::Read(e.to_string()))?
        }
    };
    if tls.is_some() && base_url.scheme() != "https" {
        p.push(format!(
            "base_url {base_url} is not https, but built-in HTTPS is on (tls_cert, tls_key); use an https URL"
        ));
    }
    let redirect_http_listen = match redirect_http_listen {
        None => None,
        Some(text) => match text.parse::<SocketAddr>() {
            Ok(addr) if tls.is_some() => Some(addr),
            Ok(_) => {
                p.push("redirect_http_listen needs built-in HTTPS (tls_cert, tls_key)");
                None
            }
            Err(_) => {
                p.push(format!(
                    "redirect_http_listen {text:?} is not an IP:port such as 0.0.0.0:80"
                ));
                None
            }
        },
    };
    Ok(Listener {
        listen,
        tls,
        base_url,
        redirect_http_listen,
    })
}

/// Checks `trusted_proxies`: networks (CIDR) or single addresses.
pub fn check_trusted_proxies(raw: Option<StringList>, p: &mut Problems) -> Vec<IpNet> {
    raw.as_ref()
        .map(StringList::items)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|text| {
            let parsed = text
                .parse::<IpNet>()
                .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from));
            if parsed.is_err() {
                p.push(format!(
                    "trusted proxy {text:?} is not a CIDR such as 10.0.0.0/8"
                ));
            }
            parsed.ok()
        })
        .collect()
}

/// Where Rampart keeps its data.
pub struct Paths {
    /// The data folder.
    pub data_dir: PathBuf,
    /// Where development mode writes e-mails.
    pub outbox_dir: PathBuf,
    /// The key ring file.
    pub encryption_keys_file: PathBuf,
    /// The database.
    pub database_url: String,
}

/// The data folder and what lives in it unless configured elsewhere.
pub fn paths(
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    encryption_keys_file: Option<PathBuf>,
) -> Paths {
    let data_dir = data_dir.unwrap_or_else(|| PathBuf::from(defaults::DATA_DIR));
    Paths {
        outbox_dir: data_dir.join(defaults::OUTBOX),
        encryption_keys_file: encryption_keys_file
            .unwrap_or_else(|| data_dir.join(defaults::ENCRYPTION_KEYS_FILE)),
        database_url: database_url.unwrap_or_else(|| {
            format!(
                "sqlite://{}",
                data_dir.join(defaults::DATABASE_FILE).display()
            )
        }),
        data_dir,
    }
}
