//! What the web layer needs to know about the deployment, decided once by
//! the server's configuration.

use ipnet::IpNet;
use rampart_core::access::AccessRules;
use std::num::NonZeroU32;
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
    /// Forward-auth access rules.
    pub access: AccessRules,
    /// Session cookie domain (single sign-on across subdomains).
    pub cookie_domain: Option<String>,
    /// Origins allowed to call the API cross-origin.
    pub cors_origins: Vec<String>,
    /// Sustained API calls per second per caller.
    pub api_rate_per_second: NonZeroU32,
    /// API burst size per caller.
    pub api_burst: NonZeroU32,
}

impl WebSettings {
    /// Cookies carry `Secure` over HTTPS and always in production.
    pub fn secure_cookies(&self) -> bool {
        self.https || self.production
    }

    /// True when `url` may be a post-sign-in redirect target: the base URL's
    /// host, or the cookie domain and its subdomains; https when the site is.
    pub fn allows_redirect_to(&self, url: &Url) -> bool {
        let scheme_ok = match url.scheme() {
            "https" => true,
            "http" => !self.https,
            _ => false,
        };
        let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
            return false;
        };
        let host_ok = Some(host.as_str()) == self.base_url.host_str()
            || self
                .cookie_domain
                .as_ref()
                .is_some_and(|d| host == *d || host.ends_with(&format!(".{d}")));
        scheme_ok && host_ok && url.username().is_empty() && url.password().is_none()
    }

    /// The origin (`scheme://host[:port]`) of the base URL.
    pub fn origin(&self) -> String {
        self.base_url.origin().ascii_serialization()
    }
}
