//! Who is on the other end: the client's IP address, user agent and
//! language.
//!
//! The address is the socket peer, unless the peer is one of the configured
//! trusted proxies; then `X-Forwarded-For` is read from the right, skipping
//! trusted hops, and the first untrusted address is the client. A header sent
//! from anywhere else is ignored, so it cannot be spoofed.

use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::{HeaderMap, header, request::Parts};
use ipnet::IpNet;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

/// The client's address and user agent.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// Client address after trusted-proxy resolution.
    pub ip: Option<IpAddr>,
    /// The `User-Agent` header, if it is valid text.
    pub user_agent: Option<String>,
    /// The known-device cookie, if the browser sent one (checked by the
    /// domain against the account signing in).
    pub known_device: Option<secrecy::SecretString>,
    /// The `Accept-Language` the client sent, negotiated only when a
    /// handler asks (forward-auth checks never do).
    pub language: Option<AskedLanguage>,
}

/// An `Accept-Language` header and the catalogues to choose from.
#[derive(Clone)]
pub struct AskedLanguage {
    header: axum::http::HeaderValue,
    catalogues: std::sync::Arc<crate::i18n::Catalogues>,
}

impl AskedLanguage {
    /// The language of the catalogues the header asks for (the default
    /// when it names none there is).
    pub fn negotiate(&self) -> String {
        self.catalogues.negotiate(self.header.to_str().ok())
    }
}

impl std::fmt::Debug for AskedLanguage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("AskedLanguage").field(&self.header).finish()
    }
}

impl ClientInfo {
    /// What the audit trail records of this client.
    pub fn meta(&self) -> rampart_core::ClientMeta {
        rampart_core::ClientMeta {
            ip: self.ip,
            user_agent: self.user_agent.clone(),
            known_device: self.known_device.clone(),
            language: self.language.as_ref().map(AskedLanguage::negotiate),
        }
    }
}

/// Resolves the client address from the peer and the forwarding header.
///
/// Every address is given in one form: an IPv4-mapped IPv6 address
/// (`::ffff:a.b.c.d`, how a dual-stack listener sees IPv4 clients) becomes
/// the IPv4 address, for limits, `trusted_proxies`, the audit trail and
/// session lists alike.
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let mut client = peer;
    for value in headers.get_all("x-forwarded-for").iter().rev() {
        let Ok(text) = value.to_str() else {
            return Some(client);
        };
        for hop in text.rsplit(',') {
            match hop.trim().parse::<IpAddr>().map(|ip| ip.to_canonical()) {
                Ok(ip) if is_trusted(&ip) => client = ip,
                Ok(ip) => return Some(ip),
                Err(_) => return Some(client),
            }
        }
    }
    Some(client)
}

/// The `Accept-Language` the client sent, to negotiate when needed;
/// `None` when it sent none (an API client's sign-in leaves the account's
/// language as it is).
fn asked_language(state: &AppState, headers: &HeaderMap) -> Option<AskedLanguage> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .map(|header| AskedLanguage {
            header: header.clone(),
            catalogues: state.templates.catalogues(),
        })
}

/// The `User-Agent` the client sent, if it is text.
pub fn user_agent(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
}

/// The client address of a request: its peer, or what trusted proxies
/// forwarded ([`client_ip`]).
pub fn client_address(parts: &Parts, state: &AppState) -> Option<IpAddr> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    client_ip(peer, &parts.headers, &state.settings.trusted_proxies)
}

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientInfo {
            ip: client_address(parts, state),
            user_agent: user_agent(&parts.headers).map(str::to_owned),
            known_device: crate::cookies::known_device_token(&state.settings, &parts.headers),
            language: asked_language(state, &parts.headers),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn forwarded_header_only_believed_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 1.2.3.4, 10.0.0.2"),
        );
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let stranger: IpAddr = "9.9.9.9".parse().unwrap();
        assert_eq!(
            client_ip(Some(proxy), &headers, &trusted),
            Some("1.2.3.4".parse().unwrap())
        );
        assert_eq!(
            client_ip(Some(stranger), &headers, &trusted),
            Some(stranger)
        );
        assert_eq!(
            client_ip(Some(proxy), &HeaderMap::new(), &trusted),
            Some(proxy)
        );
    }
}
