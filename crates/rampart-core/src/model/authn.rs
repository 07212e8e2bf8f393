//! How a session was signed in: the factors, as the audit trail names them.

use crate::model::passkey::Presence;

/// How the first factor was proved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstFactor {
    /// A password, checked by Rampart or the directory.
    Password,
    /// An identity provider's answer (OpenID Connect, GitHub).
    Provider,
}

impl FirstFactor {
    /// The first factor a source proves: `oidc:<id>` is a provider, `local`
    /// and `ldap` check a password.
    pub fn of_source(source: &str) -> Self {
        if source.starts_with("oidc:") {
            Self::Provider
        } else {
            Self::Password
        }
    }
}

/// What took the place of, or was, the second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactor {
    /// A TOTP code.
    Totp,
    /// A recovery code.
    RecoveryCode,
    /// The browser's "remember this device" mark.
    TrustedDevice,
    /// A passkey which verified its user (PIN or biometrics).
    Passkey,
    /// A passkey which did not verify its user (a security key without a
    /// PIN): it was held and touched, nothing more.
    UnverifiedPasskey,
}

impl SecondFactor {
    /// The factor a passkey's answer was, by what it proved.
    pub fn of_passkey(presence: Presence) -> Self {
        match presence {
            Presence::Verified => Self::Passkey,
            Presence::Touched => Self::UnverifiedPasskey,
        }
    }
}

/// How a session was signed in: the audit trail's `method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInMethod {
    /// A first factor, and a second when the account has one.
    Factors(FirstFactor, Option<SecondFactor>),
    /// A passkey alone: something held (the authenticator) and, as the
    /// ceremony requires user verification, something known or been (its
    /// PIN or biometrics).
    Passkey,
    /// A remember-me cookie (proves nothing fresh).
    RememberMe,
}

impl SignInMethod {
    /// The word recorded as the event's `method` (`password+totp`, …).
    pub fn as_str(self) -> &'static str {
        use FirstFactor::{Password, Provider};
        use SecondFactor::{RecoveryCode, Totp, TrustedDevice};
        match self {
            Self::Factors(Password, None) => "password",
            Self::Factors(Password, Some(Totp)) => "password+totp",
            Self::Factors(Password, Some(RecoveryCode)) => "password+recovery_code",
            Self::Factors(Password, Some(TrustedDevice)) => "password+trusted_device",
            Self::Factors(
                Password,
                Some(SecondFactor::Passkey | SecondFactor::UnverifiedPasskey),
            ) => "password+passkey",
            Self::Factors(Provider, None) => "oidc",
            Self::Factors(Provider, Some(Totp)) => "oidc+totp",
            Self::Factors(Provider, Some(RecoveryCode)) => "oidc+recovery_code",
            Self::Factors(Provider, Some(TrustedDevice)) => "oidc+trusted_device",
            Self::Factors(
                Provider,
                Some(SecondFactor::Passkey | SecondFactor::UnverifiedPasskey),
            ) => "oidc+passkey",
            Self::Passkey => "passkey",
            Self::RememberMe => "remember_me",
        }
    }
}

/// The ways a session's holder proved themselves, as recorded on the session
/// and passed to applications in `Remote-Auth-Methods`. The names follow
/// RFC 8176 where one exists: `pwd` (a password, Rampart's or the
/// directory's), `fed` (an identity provider), `otp` (a TOTP code), `hwk` (a
/// passkey); and `uv` (the passkey's authenticator verified its user: PIN or
/// biometrics), `rec` (a recovery code), `dev` (a "remember this device"
/// mark), `remember_me` (restored from a remember-me cookie: nothing proved).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AuthMethods(u8);

impl AuthMethods {
    const PWD: u8 = 1;
    const FED: u8 = 1 << 1;
    const OTP: u8 = 1 << 2;
    const REC: u8 = 1 << 3;
    const DEV: u8 = 1 << 4;
    const HWK: u8 = 1 << 5;
    const REMEMBERED: u8 = 1 << 6;
    const UV: u8 = 1 << 7;
    /// What a step-up accepts: a factor proved, not a "remember this
    /// device" mark standing in for one (a long-lived cookie).
    const SECOND: u8 = Self::OTP | Self::REC | Self::HWK;
    const NAMES: [(u8, &'static str); 8] = [
        (Self::PWD, "pwd"),
        (Self::FED, "fed"),
        (Self::OTP, "otp"),
        (Self::REC, "rec"),
        (Self::DEV, "dev"),
        (Self::HWK, "hwk"),
        (Self::UV, "uv"),
        (Self::REMEMBERED, "remember_me"),
    ];

    /// Nothing proved (a session stored before methods were recorded).
    pub const NONE: Self = Self(0);
    /// A password alone.
    pub const PASSWORD: Self = Self(Self::PWD);

    /// What a completed sign-in by `method` proved.
    pub fn of(method: SignInMethod) -> Self {
        match method {
            SignInMethod::RememberMe => Self(Self::REMEMBERED),
            SignInMethod::Passkey => Self(Self::HWK | Self::UV),
            SignInMethod::Factors(first, second) => {
                let first = match first {
                    FirstFactor::Password => Self::PWD,
                    FirstFactor::Provider => Self::FED,
                };
                let methods = Self(first);
                match second {
                    Some(second) => methods.with_second(second),
                    None => methods,
                }
            }
        }
    }

    /// These methods and `second` as well.
    pub fn with_second(self, second: SecondFactor) -> Self {
        let bit = match second {
            SecondFactor::Totp => Self::OTP,
            SecondFactor::RecoveryCode => Self::REC,
            SecondFactor::TrustedDevice => Self::DEV,
            SecondFactor::Passkey => Self::HWK | Self::UV,
            SecondFactor::UnverifiedPasskey => Self::HWK,
        };
        Self(self.0 | bit)
    }

    /// After the holder proved a first factor (`provider`: with an identity
    /// provider, else a password) in this session: what it restored from a
    /// cookie no longer counts.
    pub fn with_first(self, provider: bool) -> Self {
        let bit = if provider { Self::FED } else { Self::PWD };
        Self((self.0 & !Self::REMEMBERED) | bit)
    }

    /// True when a second factor was proved in this session (not merely
    /// restored from a remember-me cookie): what `policy = "two_factor"`
    /// asks for.
    pub fn has_second_factor(self) -> bool {
        self.0 & Self::SECOND != 0 && self.0 & Self::REMEMBERED == 0
    }

    /// True when the session was restored from a remember-me cookie and
    /// nothing was proved since.
    pub fn restored(self) -> bool {
        self.0 & Self::REMEMBERED != 0
    }

    /// The names, comma-separated (`pwd,otp`): the stored form and the
    /// header's.
    pub fn to_list(self) -> String {
        // One allocation: `/auth/verify` writes this on every answer.
        let mut list = String::with_capacity(24);
        for (_, name) in Self::NAMES.iter().filter(|(bit, _)| self.0 & bit != 0) {
            if !list.is_empty() {
                list.push(',');
            }
            list.push_str(name);
        }
        list
    }

    /// Parses the stored form; unknown names are ignored (they prove
    /// nothing).
    pub fn parse(list: &str) -> Self {
        let bits = list
            .split(',')
            .filter_map(|name| {
                Self::NAMES
                    .iter()
                    .find(|(_, known)| *known == name.trim())
                    .map(|(bit, _)| *bit)
            })
            .fold(0, |all, bit| all | bit);
        Self(bits)
    }
}
