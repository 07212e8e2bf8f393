//! Second-factor records: why an operator removed one.

use crate::model::FieldProblem;

/// Why an operator removes someone's second factor: required, one line of
/// at most 500 characters (a ticket number and how identity was proved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetReason(String);

impl ResetReason {
    /// The reason, trimmed; refused when empty, too long or holding control
    /// characters.
    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        let reason = raw.trim();
        if reason.is_empty() {
            return Err(FieldProblem::new(
                "reason",
                "problem-reason-missing",
                "Give the reason for removing the second factor (for example the ticket, and how you confirmed who asked).",
            ));
        }
        if reason.chars().count() > 500 {
            return Err(FieldProblem::new(
                "reason",
                "problem-reason-length",
                "The reason is longer than 500 characters.",
            ));
        }
        if reason.chars().any(char::is_control) {
            return Err(FieldProblem::new(
                "reason",
                "problem-reason-line",
                "The reason must be one line, without control characters.",
            ));
        }
        Ok(Self(reason.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A recovery code as stored (ASVS 6.5.2): never the code, only where to
/// find it and a salted Argon2id hash that proves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecoveryCode {
    /// Finds the row from the typed code without trying every hash:
    /// `v2:` + 12 bits of a keyed MAC of the whole code, or `v1:` + the
    /// start of a pre-0018 code's MAC; `None` for a pre-0018 row not yet
    /// upgraded (its verifier is that MAC).
    pub locator: Option<String>,
    /// The Argon2id PHC string (with its own random salt) of the code, or
    /// (for `v1:`) of its pre-0018 MAC; for a row not yet upgraded, the MAC.
    pub verifier: String,
}
