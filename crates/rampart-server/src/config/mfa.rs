//! `[mfa]`: the issuer authenticator apps show, and "do not ask again on
//! this browser".

use super::{Problems, defaults};
use rampart_core::MfaRequirement;
use serde::Deserialize;

/// The widest TOTP drift window accepted: two steps (a minute) either side.
const MAX_TOTP_SKEW_STEPS: u16 = 2;

/// `[mfa]` settings as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawMfa {
    /// Which accounts must have a second factor: `off`, `privileged`
    /// (accounts holding any permission) or `all`.
    pub required: Option<String>,
    /// The issuer name authenticator apps show.
    pub issuer: Option<String>,
    /// Offer "do not ask again on this browser" at the second step.
    pub remember_device: Option<bool>,
    /// How long that lasts.
    pub remember_device_for: Option<String>,
    /// TOTP clock-drift window, in 30-second steps either side of now.
    pub totp_skew_steps: Option<u16>,
}

/// `[mfa]`, checked.
pub struct MfaSection {
    /// The issuer name in `otpauth://` URIs.
    pub issuer: String,
    /// How long "remember this device" lasts, when offered.
    pub remember_device_for: Option<time::Duration>,
    /// Which accounts must have a second factor.
    pub required: MfaRequirement,
    /// TOTP clock-drift window, in steps either side.
    pub totp_skew_steps: u16,
}

/// Checks `[mfa]`; the issuer defaults to the site's name.
pub fn check(raw: RawMfa, site_name: &str, p: &mut Problems) -> MfaSection {
    let RawMfa {
        required,
        issuer,
        remember_device,
        remember_device_for,
        totp_skew_steps,
    } = raw;
    let skew = totp_skew_steps.unwrap_or(defaults::TOTP_SKEW_STEPS);
    if skew > MAX_TOTP_SKEW_STEPS {
        p.push(format!(
            "mfa.totp_skew_steps must be at most {MAX_TOTP_SKEW_STEPS} (each step widens the window a guessed code can land in)"
        ));
    }
    let lasts = p.duration(
        "mfa.remember_device_for",
        remember_device_for.as_deref(),
        defaults::REMEMBER_DEVICE_FOR,
    );
    let required = p.choice(
        "mfa.required",
        required.as_deref(),
        MfaRequirement::default(),
        &[
            ("off", MfaRequirement::Off),
            ("privileged", MfaRequirement::Privileged),
            ("all", MfaRequirement::All),
        ],
    );
    MfaSection {
        required,
        issuer: issuer.unwrap_or_else(|| site_name.to_owned()),
        remember_device_for: remember_device.unwrap_or(false).then_some(lasts),
        totp_skew_steps: skew.min(MAX_TOTP_SKEW_STEPS),
    }
}
