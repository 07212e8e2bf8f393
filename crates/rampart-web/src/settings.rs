//! What the web layer needs to know about the deployment, decided once by
//! the server's configuration.

use ipnet::IpNet;
use std::path::PathBuf;
use url::Url;
use zeroize::Zeroizing;

/// Deployment facts the HTTP layer acts on.
pub struct WebSettings {
    /// The public URL users reach Rampart at.
    pub base_url: Url,
    /// Served over HTTPS (directly or behind a TLS-terminating proxy).
    pub https: bool,
    /// Production mode: cookies are always `Secure`.
    pub production: bool,
    /// Key for CSRF tokens, derived from the secret key.
    pub csrf_key: Zeroizing<[u8; 32]>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Whether anyone may create an account.
    pub registration_open: bool,
    /// Shown in page titles and the header.
    pub site_name: String,
    /// A folder whose templates replace the built-in ones.
    pub templates_dir: Option<PathBuf>,
    /// Largest request body accepted, in bytes.
    pub form_body_limit: usize,
}

impl WebSettings {
    /// Cookies carry `Secure` over HTTPS and always in production.
    pub fn secure_cookies(&self) -> bool {
        self.https || self.production
    }

    /// `__Host-rampart_session` over HTTPS (the prefix needs `Secure`), else
    /// `rampart_session`.
    pub fn session_cookie_name(&self) -> &'static str {
        if self.https {
            "__Host-rampart_session"
        } else {
            "rampart_session"
        }
    }

    /// The origin (`scheme://host[:port]`) of the base URL.
    pub fn origin(&self) -> String {
        self.base_url.origin().ascii_serialization()
    }
}
