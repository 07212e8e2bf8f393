//! `[webauthn]`: who passkeys are for (the relying party).

use super::Problems;
use serde::Deserialize;
use url::Url;

/// `[webauthn]` settings as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawWebauthn {
    /// The RP ID passkeys are bound to: the base URL's host (the default),
    /// or a parent domain of it (e.g. the `session.cookie_domain`) when
    /// applications under one domain share sign-in.
    pub rp_id: Option<String>,
}

/// Checks `[webauthn]`: the RP ID, which must be the base URL's host or a
/// domain it lies under (WebAuthn refuses any other).
pub fn check(raw: RawWebauthn, base_url: &Url, p: &mut Problems) -> String {
    let RawWebauthn { rp_id } = raw;
    let host = base_url.host_str().unwrap_or_default().to_owned();
    let Some(rp_id) = rp_id else {
        return host;
    };
    let rp_id = rp_id.trim().trim_start_matches('.').to_ascii_lowercase();
    let under = host == rp_id || host.ends_with(&format!(".{rp_id}"));
    if rp_id.is_empty() || (!rp_id.contains('.') && rp_id != host) || !under {
        p.push(format!(
            "webauthn.rp_id {rp_id:?} must be the base URL's host ({host}) or a domain it lies under, such as the session's cookie domain"
        ));
        return host;
    }
    rp_id
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn checked(rp_id: Option<&str>, base: &str) -> (String, usize) {
        let mut p = Problems::default();
        let id = check(
            RawWebauthn {
                rp_id: rp_id.map(str::to_owned),
            },
            &Url::parse(base).unwrap(),
            &mut p,
        );
        (id, p.list().len())
    }

    #[test]
    fn the_rp_id_is_the_host_or_a_domain_it_lies_under() {
        let base = "https://login.example.com";
        assert_eq!(checked(None, base), ("login.example.com".to_owned(), 0));
        assert_eq!(
            checked(Some(".Example.com"), base),
            ("example.com".to_owned(), 0)
        );
        assert_eq!(
            checked(Some("login.example.com"), base),
            ("login.example.com".to_owned(), 0)
        );
        for wrong in ["evil.com", "ample.com", "com", "", "other.example.com"] {
            assert_eq!(checked(Some(wrong), base).1, 1, "{wrong}");
        }
    }
}
