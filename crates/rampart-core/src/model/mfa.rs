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
                "Give the reason for removing the second factor (for example the ticket, and how you confirmed who asked).",
            ));
        }
        if reason.chars().count() > 500 {
            return Err(FieldProblem::new(
                "reason",
                "The reason is longer than 500 characters.",
            ));
        }
        if reason.chars().any(char::is_control) {
            return Err(FieldProblem::new(
                "reason",
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
