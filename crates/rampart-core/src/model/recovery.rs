//! One-time link records (password reset, e-mail confirmation).

use crate::model::UserId;

/// What a one-time token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Reset a forgotten password.
    PasswordReset,
    /// Confirm an e-mail address.
    VerifyEmail,
    /// Confirm a new e-mail address (the token's address is the new one).
    ChangeEmail,
}

impl Purpose {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::PasswordReset => "password_reset",
            Purpose::VerifyEmail => "verify_email",
            Purpose::ChangeEmail => "change_email",
        }
    }
}

/// A redeemed one-time token.
#[derive(Debug, Clone)]
pub struct Redeemed {
    /// Whose it was.
    pub user_id: UserId,
    /// The address the link was sent to.
    pub email: String,
}
