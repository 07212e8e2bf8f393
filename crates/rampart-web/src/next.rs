//! Where to go after sign-in. `next` is accepted only as a local path, so the
//! login form cannot become an open redirect (`//evil.com`, `https://…`,
//! `/\evil.com` and paths with control characters, which browsers strip, are
//! all refused).

/// `raw` when it is a safe local path, else `None`.
pub fn safe_local_path(raw: &str) -> Option<&str> {
    let bytes = raw.as_bytes();
    let ok = raw.len() <= 2048
        && bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/') | Some(b'\\'))
        && !raw.contains('\\')
        && !raw.chars().any(|c| c.is_control() || c.is_whitespace());
    ok.then_some(raw)
}

#[cfg(test)]
mod tests {
    use super::safe_local_path;

    #[test]
    fn only_local_paths_pass() {
        for ok in ["/", "/account", "/a/b?c=d#e", "/%2F%2Fevil.com"] {
            assert_eq!(safe_local_path(ok), Some(ok), "{ok}");
        }
        for bad in [
            "",
            "account",
            "//evil.com",
            "https://evil.com",
            "/\\evil.com",
            "\\\\evil.com",
            "/\t/evil.com",
            "/\n/x",
            "javascript:alert(1)",
            " /account",
            "/a\\b",
        ] {
            assert_eq!(safe_local_path(bad), None, "{bad:?}");
        }
    }
}
