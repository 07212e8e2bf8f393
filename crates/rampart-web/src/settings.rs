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
    /// A request not answered within this long is answered 408.
    pub request_timeout: std::time::Duration,
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

    /// The URL to send a browser to after sign-in for a requested `rd`, or
    /// `None` when it may not go there: only the base URL's own origin, and,
    /// with `session.cookie_domain`, hosts under that domain on the base
    /// URL's scheme and default port. No userinfo, and nothing with a
    /// control character, white space or a backslash (which browsers strip
    /// or reinterpret before following).
    pub fn redirect_target(&self, raw: &str) -> Option<String> {
        let clean = raw.len() <= 4096
            && !raw.chars().any(|c| c.is_control() || c.is_whitespace())
            && !raw.contains('\\');
        if !clean {
            return None;
        }
        let url = Url::parse(raw).ok()?;
        if url.scheme() != self.base_url.scheme()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return None;
        }
        let host = url.host_str()?.to_ascii_lowercase();
        let same_origin = url.origin() == self.base_url.origin();
        let under_domain = url.port().is_none()
            && self
                .cookie_domain
                .as_ref()
                .is_some_and(|d| host == *d || host.ends_with(&format!(".{d}")));
        (same_origin || under_domain).then(|| url.to_string())
    }

    /// The origin (`scheme://host[:port]`) of the base URL.
    pub fn origin(&self) -> String {
        self.base_url.origin().ascii_serialization()
    }
}
