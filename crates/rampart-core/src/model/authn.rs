//! How a session was signed in: the factors, as the audit trail names them.

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
}

/// How a session was signed in: the audit trail's `method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInMethod {
    /// A first factor, and a second when the account has one.
    Factors(FirstFactor, Option<SecondFactor>),
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
            Self::Factors(Provider, None) => "oidc",
            Self::Factors(Provider, Some(Totp)) => "oidc+totp",
            Self::Factors(Provider, Some(RecoveryCode)) => "oidc+recovery_code",
            Self::Factors(Provider, Some(TrustedDevice)) => "oidc+trusted_device",
            Self::RememberMe => "remember_me",
        }
    }
}
