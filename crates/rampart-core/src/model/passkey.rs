//! Passkeys (WebAuthn credentials) as stored, and a ceremony waiting for the
//! browser's answer.

use crate::model::UserId;
use rampart_crypto::TokenDigest;
use time::OffsetDateTime;

/// A passkey's identifier in Rampart (not the authenticator's credential id).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PasskeyId(pub String);

/// One passkey of an account, as stored.
#[derive(Debug, Clone)]
pub struct PasskeyRecord {
    /// Rampart's id for it.
    pub id: PasskeyId,
    /// Its account.
    pub user_id: UserId,
    /// The authenticator's credential id, base64url: how a sign-in finds it
    /// (unique across accounts).
    pub credential_id: String,
    /// The name its owner gave it.
    pub name: String,
    /// The credential (public key, counter, flags) sealed by the key ring.
    pub sealed: String,
    /// The authenticator may sync it (a "synced passkey").
    pub backup_eligible: bool,
    /// It is synced now.
    pub backup_state: bool,
    /// The browser reported a resident key (`credProps.rk`): it signs in
    /// without a name, so it counts as a way in.
    pub discoverable: bool,
    /// When it was added.
    pub created_at: OffsetDateTime,
    /// When it last signed in, if ever.
    pub last_used_at: Option<OffsetDateTime>,
}

/// How a removal went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// The passkey is gone.
    Removed,
    /// The account has no such passkey.
    NotFound,
    /// It is the account's last way in (no password, no linked identity,
    /// no other passkey): it stays.
    LastWayIn,
}

/// What a passkey ceremony is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyPurpose {
    /// Adding a passkey to this signed-in account.
    Register(UserId),
    /// Adding the way in of this account without a password, whose
    /// passkeys were lost (through its mailed reset link).
    Recover(UserId),
    /// Signing in with a discoverable passkey (no name given).
    SignIn,
    /// Creating an account whose way in is the new passkey (the account
    /// does not exist yet: its name and address are sealed with the state).
    SignUp,
    /// Proving, with one of its passkeys, that this account's owner is here:
    /// the second step of a sign-in, or a re-authentication.
    Prove(UserId),
}

impl CeremonyPurpose {
    /// Its name in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Register(_) => "register",
            Self::Recover(_) => "recover",
            Self::SignIn => "sign_in",
            Self::SignUp => "sign_up",
            Self::Prove(_) => "prove",
        }
    }

    /// The account it is bound to, if any.
    pub fn user(self) -> Option<UserId> {
        match self {
            Self::SignIn | Self::SignUp => None,
            Self::Register(u) | Self::Recover(u) | Self::Prove(u) => Some(u),
        }
    }

    /// Rebuilt from the database.
    pub fn from_parts(name: &str, user: Option<UserId>) -> Option<Self> {
        match (name, user) {
            ("register", Some(u)) => Some(Self::Register(u)),
            ("recover", Some(u)) => Some(Self::Recover(u)),
            ("sign_in", None) => Some(Self::SignIn),
            ("sign_up", None) => Some(Self::SignUp),
            ("prove", Some(u)) => Some(Self::Prove(u)),
            _ => None,
        }
    }
}

/// A WebAuthn ceremony waiting for the browser's answer, as stored: single
/// use, short-lived, and bound to the browser that started it.
#[derive(Debug, Clone)]
pub struct PendingCeremony {
    /// Digest of the ceremony token the browser sends back.
    pub digest: TokenDigest,
    /// Digest of the session (or pre-login) token of the browser that
    /// started it.
    pub visitor_digest: TokenDigest,
    /// What it is for.
    pub purpose: CeremonyPurpose,
    /// The ceremony's server-side state (its challenge), sealed by the key
    /// ring.
    pub sealed: String,
    /// Dies at this time.
    pub expires_at: OffsetDateTime,
}

/// What a passkey's answer proved besides holding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// The authenticator verified its user (PIN or biometrics): something
    /// held and something known or been.
    Verified,
    /// Someone touched it; nothing more (a security key without a PIN).
    Touched,
}
