//! The one canonical form of a path that every access decision is made on.
//!
//! Upstream servers disagree about what a path means: Tomcat and Spring drop
//! `;` parameters (`/public/..;/admin` is `/admin` to them), IIS ignores case
//! and trailing dots and spaces, most servers percent-decode before routing.
//! A rule written for `/admin` must hold for every spelling an upstream could
//! resolve to `/admin`, so the path is decoded once, each segment loses its
//! `;` parameters and trailing dots and spaces, dot segments are resolved and
//! repeated slashes merged; by default case is folded too.
//!
//! What cannot be given one meaning is refused instead of guessed at: an
//! encoded slash or backslash (`%2f`, `%5c`: some upstreams split on them,
//! others do not), a backslash, a control character (raw or encoded), and a
//! percent sign that still encodes something after the one decoding (a
//! double-encoded path such as `%252e%252e`, which an upstream that decodes
//! again would read as `..`).

/// Why a path cannot be decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathProblem {
    /// The path does not start with `/`.
    #[error("the path does not start with /")]
    NotAbsolute,
    /// `%2f` or `%5c`: a slash or backslash hidden in a segment.
    #[error("the path has an encoded slash or backslash")]
    EncodedSlash,
    /// A `\`, which some servers read as `/`.
    #[error("the path has a backslash")]
    Backslash,
    /// A control character, raw or percent-encoded.
    #[error("the path has a control character")]
    Control,
    /// A `%XX` sequence left after decoding once.
    #[error("the path is encoded twice")]
    DoubleEncoded,
    /// A `%` that is not followed by two hex digits (`%u002e` is a dot to
    /// IIS), or bytes that are not UTF-8 after decoding (overlong forms such
    /// as `%c0%ae`).
    #[error("the path has a malformed escape")]
    MalformedEscape,
    /// A segment that only some servers read as `.` or `..` (`..;x`,
    /// `..%20`): Tomcat and IIS go up a level, nginx and Node do not.
    #[error("the path has a segment that servers read differently")]
    Ambiguous,
    /// A `#` or an encoded `?` (neither is ever part of a request's path; a
    /// server that decodes before it splits off the query reads them as its
    /// start) or a character that Windows maps to `.`, `/` or `\`
    /// (fullwidth and look-alike forms).
    #[error("the path has a character servers read differently")]
    LookAlike,
}

/// Characters that Windows' best-fit mapping or Unicode normalisation turns
/// into `.`, `/` or `\\`.
const LOOK_ALIKES: [char; 12] = [
    '\u{ff0e}', '\u{ff0f}', '\u{ff3c}', '\u{2024}', '\u{fe52}', '\u{2215}', '\u{2044}', '\u{29f5}',
    '\u{fe68}', '\u{2216}', '#', '?',
];

/// The longest path considered (longer ones are refused as not absolute
/// paths a proxy would send).
const MAX_PATH: usize = 8192;

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Decodes `%XX` once; refuses what could be read two ways.
fn decode_once(raw: &str) -> Result<String, PathProblem> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'%' {
            out.push(b);
            i += 1;
            continue;
        }
        let escaped = match (bytes.get(i + 1), bytes.get(i + 2)) {
            (Some(&h), Some(&l)) => hex(h).zip(hex(l)).map(|(h, l)| h * 16 + l),
            _ => None,
        };
        match escaped {
            Some(b'/' | b'\\') => return Err(PathProblem::EncodedSlash),
            Some(decoded) => {
                out.push(decoded);
                i += 3;
            }
            None => return Err(PathProblem::MalformedEscape),
        }
    }
    let text = String::from_utf8(out).map_err(|_| PathProblem::MalformedEscape)?;
    if text.chars().any(char::is_control) {
        return Err(PathProblem::Control);
    }
    if text.contains('\\') {
        return Err(PathProblem::Backslash);
    }
    if text.contains(LOOK_ALIKES) {
        return Err(PathProblem::LookAlike);
    }
    let still_encoded = text
        .as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && hex(w[1]).is_some() && hex(w[2]).is_some());
    if still_encoded {
        return Err(PathProblem::DoubleEncoded);
    }
    Ok(text)
}

/// The canonical form of `raw` (a request target: path, optionally with a
/// query or fragment, which are dropped): see the module documentation.
/// The result starts with `/` and never ends with one, except the root.
pub fn canonical_path(raw: &str, case_sensitive: bool) -> Result<String, PathProblem> {
    let path = raw.split('?').next().unwrap_or("");
    if path.len() > MAX_PATH {
        return Err(PathProblem::NotAbsolute);
    }
    if raw.chars().any(char::is_control) {
        return Err(PathProblem::Control);
    }
    if path.contains('\\') {
        return Err(PathProblem::Backslash);
    }
    if !path.starts_with('/') {
        return Err(PathProblem::NotAbsolute);
    }
    let decoded = decode_once(path)?;
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        // `;` parameters belong to the segment (RFC 3986 §3.3); servers that
        // honour them route on what comes before.
        let name = segment.split(';').next().unwrap_or("");
        match segment {
            "." => continue,
            ".." => {
                segments.pop();
                continue;
            }
            _ => {}
        }
        // What only some servers read as `.` or `..` is refused: resolving it
        // either way lets one side see a path the other does not.
        // So is a segment of parameters only (`/;x/`), which Tomcat drops and
        // nginx keeps (and would resolve a following `..` against).
        if name.trim_matches(' ').trim_end_matches('.').is_empty() && !segment.is_empty() {
            return Err(PathProblem::Ambiguous);
        }
        // Windows servers ignore trailing dots and spaces; legacy Spring
        // trims leading spaces.
        let trimmed = name.trim_end_matches(['.', ' ']).trim_start_matches(' ');
        if !trimmed.is_empty() {
            segments.push(trimmed);
        }
    }
    let joined = format!("/{}", segments.join("/"));
    Ok(if case_sensitive {
        joined
    } else {
        // ASCII only: Unicode folding would make `\u{212a}ey` (Kelvin sign)
        // match a rule for `/key`, which no upstream treats as the same.
        joined.to_ascii_lowercase()
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_spelling_of_admin_is_admin() {
        for raw in [
            "/admin",
            "/Admin",
            "/ADMIN",
            "/admin;x",
            "/admin%3bx",
            "/admin%3Bx",
            "/admin%20",
            "/admin.",
            "/admin. .",
            "/%20admin",
            "/admin/",
            "//admin",
            "/./admin",
            "/public/../admin",
            "/public/%2E%2E/admin",
            "/public/.%2e/admin",
            "/x/y/../../admin?z=1",
            "/%61dmin",
            "/../../admin",
        ] {
            assert_eq!(canonical_path(raw, false).as_deref(), Ok("/admin"), "{raw}");
        }
        assert_eq!(canonical_path("/ADMIN/x", false).as_deref(), Ok("/admin/x"));
        assert_eq!(canonical_path("/Admin", true).as_deref(), Ok("/Admin"));
        assert_eq!(canonical_path("", false), Err(PathProblem::NotAbsolute));
        assert_eq!(canonical_path("/", false).as_deref(), Ok("/"));
    }

    #[test]
    fn ambiguous_paths_are_refused() {
        for (raw, problem) in [
            ("/admin%00", PathProblem::Control),
            ("/admin\0", PathProblem::Control),
            ("/adm\nin", PathProblem::Control),
            ("/admin%0a", PathProblem::Control),
            ("/admin%7f", PathProblem::Control),
            ("/public%2fadmin", PathProblem::EncodedSlash),
            ("/public%2F..%2Fadmin", PathProblem::EncodedSlash),
            ("/public%5c..%5cadmin", PathProblem::EncodedSlash),
            ("/public\\..\\admin", PathProblem::Backslash),
            ("/public/%252e%252e/admin", PathProblem::DoubleEncoded),
            ("/public/..;/admin", PathProblem::Ambiguous),
            ("/public/%2e%2e;/admin", PathProblem::Ambiguous),
            ("/admin/..;/public", PathProblem::Ambiguous),
            ("/admin/..%3bx/public", PathProblem::Ambiguous),
            ("/admin/..%20/public", PathProblem::Ambiguous),
            ("/admin/.. /public", PathProblem::Ambiguous),
            ("/admin/...", PathProblem::Ambiguous),
            ("/admin/.;x", PathProblem::Ambiguous),
            ("/admin/;x/../public", PathProblem::Ambiguous),
            ("/admin/%3bx/../public", PathProblem::Ambiguous),
            ("/public/%u002e%u002e/admin", PathProblem::MalformedEscape),
            ("/admin%", PathProblem::MalformedEscape),
            ("/admin%2", PathProblem::MalformedEscape),
            ("/public/%c0%ae%c0%ae/admin", PathProblem::MalformedEscape),
            ("/public#/../admin", PathProblem::LookAlike),
            ("/public/\u{ff0e}\u{ff0e}/admin", PathProblem::LookAlike),
            ("/public\u{ff0f}..\u{ff0f}admin", PathProblem::LookAlike),
            ("admin", PathProblem::NotAbsolute),
            ("http://x/admin", PathProblem::NotAbsolute),
        ] {
            assert_eq!(canonical_path(raw, false), Err(problem), "{raw:?}");
        }
    }

    /// A segment of letters, as a rule would name it.
    fn segment() -> impl Strategy<Value = String> {
        "[a-zA-Z]{1,8}"
    }

    /// One way of writing `seg` that an upstream may resolve to it.
    fn spelling(seg: String) -> impl Strategy<Value = String> {
        (0u8..8, any::<u32>()).prop_map(move |(how, pick)| match how {
            0 => seg.clone(),
            1 => seg.to_uppercase(),
            // Percent-encode every character.
            2 => seg.bytes().map(|b| format!("%{b:02x}")).collect(),
            3 => format!("{seg};jsessionid={pick}"),
            4 => format!("{seg}%3b{pick}"),
            5 => format!("{seg}."),
            6 => format!("{seg}%20"),
            _ => format!("x{pick}/../{seg}"),
        })
    }

    fn spelled_path(segs: Vec<String>) -> impl Strategy<Value = (String, String)> {
        let plain = format!("/{}", segs.join("/")).to_lowercase();
        segs.into_iter()
            .map(spelling)
            .collect::<Vec<_>>()
            .prop_flat_map(move |parts| {
                let plain = plain.clone();
                (0u8..4).prop_map(move |joiner| {
                    let sep = match joiner {
                        0 => "/",
                        1 => "//",
                        2 => "/./",
                        _ => "/%2e/",
                    };
                    (format!("/{}", parts.join(sep)), plain.clone())
                })
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// A path and any of its spellings reach the same canonical form.
        #[test]
        fn spellings_reach_the_same_path(
            (spelled, plain) in proptest::collection::vec(segment(), 1..5).prop_flat_map(spelled_path)
        ) {
            prop_assert_eq!(canonical_path(&spelled, false), Ok(plain));
        }

        /// An encoded `?` is refused, not made into a path that reads as a
        /// query once decoded (found by the property below).
        #[test]
        fn an_encoded_question_mark_is_refused(case in 0usize..4) {
            let raw = ["/%3f", "/a%3Fb", "/admin%3f/x", "/%3f%3f"][case];
            prop_assert_eq!(canonical_path(raw, false), Err(PathProblem::LookAlike));
        }

        /// Whatever arrives, the answer is a path or a named refusal, never a
        /// panic; a canonical path is a fixed point.
        #[test]
        fn any_input_is_answered(raw in "\\PC{0,64}|/[ -~]{0,64}") {
            if let Ok(path) = canonical_path(&raw, false) {
                prop_assert!(path.starts_with('/'));
                prop_assert_eq!(canonical_path(&path, false), Ok(path.clone()));
            }
        }
    }
}
