//! One-time passwords for the second factor: TOTP (RFC 6238 through the
//! `totp-rs` crate: SHA-1, 6 digits, 30-second steps, a clock-drift window
//! of `skew` steps either side, 1 by default), the
//! `otpauth://` URI and its QR code (rendered here as SVG by the `qrcode`
//! crate, so no external service ever sees a secret), and recovery codes.
//!
//! Replay protection needs state (the last step used), so it is the caller's:
//! [`matching_step`] returns the step a code matched and the domain refuses
//! any step not newer than the last one accepted.

use data_encoding::BASE32_NOPAD;
use zeroize::Zeroizing;

/// Bytes in a TOTP secret (160 bits, as RFC 4226 recommends).
pub const TOTP_SECRET_LEN: usize = 20;
/// Seconds in a TOTP step.
pub const TOTP_STEP: u64 = 30;

/// Why a TOTP could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("the TOTP parameters are invalid: {0}")]
pub struct OtpError(String);

/// A fresh random TOTP secret.
pub fn new_totp_secret() -> Zeroizing<Vec<u8>> {
    Zeroizing::new(crate::random_bytes::<TOTP_SECRET_LEN>().to_vec())
}

/// The secret as the base32 text authenticator apps accept.
pub fn secret_base32(secret: &[u8]) -> Zeroizing<String> {
    Zeroizing::new(BASE32_NOPAD.encode(secret))
}

fn totp(secret: &[u8], issuer: &str, account: &str) -> Result<totp_rs::Totp, OtpError> {
    // `:` separates issuer and account in the label; the library refuses it.
    let issuer = issuer.replace(':', " ");
    let account = account.replace(':', " ");
    totp_rs::Builder::new()
        .with_secret(secret.to_vec())
        .with_issuer(Some(issuer))
        .with_account_name(account)
        .build()
        .map_err(|e| OtpError(e.to_string()))
}

/// The `otpauth://totp/…` URI for enrolment (it contains the secret).
pub fn otpauth_uri(
    secret: &[u8],
    issuer: &str,
    account: &str,
) -> Result<Zeroizing<String>, OtpError> {
    totp(secret, issuer, account)?
        .to_url()
        .map(Zeroizing::new)
        .map_err(|e| OtpError(e.to_string()))
}

/// The step (`unix_time / 30`) whose code equals `code`, looking `skew`
/// steps either side of `unix_time`; `None` when the code matches none of
/// them.
pub fn matching_step(secret: &[u8], code: &str, unix_time: u64, skew: u16) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let issuer = "x";
    let totp = totp_rs::Builder::new()
        .with_secret(secret.to_vec())
        .with_issuer(Some(issuer.to_owned()))
        .with_account_name(issuer.to_owned())
        .with_skew(skew)
        .build()
        .ok()?;
    totp.check(&code, unix_time)
}

/// The code for `unix_time` (for tests and diagnostics).
pub fn code_at(secret: &[u8], unix_time: u64) -> Option<String> {
    totp(secret, "x", "x")
        .ok()
        .map(|t| t.generate(unix_time).to_string())
}

/// `text` as a QR code in SVG (an `<svg>` element, no external references).
pub fn qr_svg(text: &str) -> Result<String, OtpError> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| OtpError(e.to_string()))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

const CODE_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A recovery code `xxxxx-xxxxx` of lower-case letters and digits (~51 bits).
pub fn generate_recovery_code() -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(11));
    let mut produced = 0;
    while produced < 10 {
        for byte in crate::random_bytes::<16>() {
            // Rejection sampling keeps every character equally likely.
            if usize::from(byte) >= 252 || produced == 10 {
                continue;
            }
            if produced == 5 {
                out.push('-');
            }
            out.push(char::from(
                CODE_ALPHABET[usize::from(byte) % CODE_ALPHABET.len()],
            ));
            produced += 1;
        }
    }
    out
}

/// A typed recovery code in canonical form (`xxxxx-xxxxx`), accepting
/// upper case, spaces and a missing dash; `None` when it cannot be one.
pub fn normalize_recovery_code(typed: &str) -> Option<String> {
    let chars: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if chars.len() != 10 || !chars.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        return None;
    }
    Some(format!("{}-{}", &chars[..5], &chars[5..]))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vector() {
        // RFC 6238 appendix B: secret "12345678901234567890", T = 59 → 94287082 (8 digits);
        // the last six digits are the 6-digit code.
        let secret = b"12345678901234567890";
        assert_eq!(code_at(secret, 59).as_deref(), Some("287082"));
        assert_eq!(matching_step(secret, "287082", 59, 1), Some(1));
        // ±1 step of skew, no more.
        assert_eq!(matching_step(secret, "287082", 59 + 30, 1), Some(1));
        assert_eq!(matching_step(secret, "287082", 59 + 60, 1), None);
        assert_eq!(matching_step(secret, "28708", 59, 1), None);
        assert_eq!(matching_step(secret, "abcdef", 59, 1), None);
    }

    #[test]
    fn the_drift_window_is_configurable() {
        let secret = b"12345678901234567890";
        // No drift: only the current step.
        assert_eq!(matching_step(secret, "287082", 59, 0), Some(1));
        assert_eq!(matching_step(secret, "287082", 59 + 30, 0), None);
        assert_eq!(matching_step(secret, "287082", 59 - 30, 0), None);
        // Two steps either side.
        assert_eq!(matching_step(secret, "287082", 59 + 60, 2), Some(1));
        assert_eq!(matching_step(secret, "287082", 59 + 90, 2), None);
    }

    #[test]
    fn uri_and_qr() {
        let secret = new_totp_secret();
        let uri = otpauth_uri(&secret, "Rampart: test", "alice").unwrap();
        assert!(uri.starts_with("otpauth://totp/"));
        assert!(uri.contains(secret_base32(&secret).as_str()));
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.contains("<svg"));
        assert!(!svg.contains("href"));
    }

    #[test]
    fn recovery_codes_have_the_contract_shape() {
        for _ in 0..50 {
            let code = generate_recovery_code();
            assert_eq!(code.len(), 11);
            assert_eq!(&code[5..6], "-");
            assert_eq!(
                normalize_recovery_code(&code).as_deref(),
                Some(code.as_str())
            );
        }
        assert_eq!(
            normalize_recovery_code(" ABCDE 12345 ").as_deref(),
            Some("abcde-12345")
        );
        assert_eq!(normalize_recovery_code("abcde-1234"), None);
    }
}
