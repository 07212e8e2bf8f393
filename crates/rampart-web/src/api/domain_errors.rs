//! The API's answer to each domain error, in one place (the pages' answers
//! are `crate::error`'s): handlers write `?` and never match on a domain
//! error themselves. The answers a caller can act on have a code of their own
//! (see `refusal`); whatever is Rampart's fault is a logged 500 that shows
//! nothing of the cause.
//!
//! Two refusals depend on the operation, not on the error, and stay with
//! their handlers: a wrong code is 401 at sign-in but 422 when confirming an
//! enrolment (this mapping gives the enrolment's answer; sign-in's comes
//! through [`SignInError`]).

use super::error::{ApiError, ErrorCode, FieldDetail};
use super::refusal;
use axum::http::StatusCode;
use rampart_core::account::{AdminError, ChangePasswordError};
use rampart_core::authn::SignInError;
use rampart_core::session::SessionError;
use rampart_core::token::TokenError;
use rampart_core::{LoginError, MfaError, RecoveryError, RegisterError, RepoError};

impl ApiError {
    /// A 422 naming one field.
    pub fn problem(field: &str, message: &str) -> Self {
        ApiError::validation([FieldDetail {
            field: field.to_owned(),
            message: message.to_owned(),
        }])
    }
}

impl From<RepoError> for ApiError {
    fn from(err: RepoError) -> Self {
        ApiError::internal(&err)
    }
}

impl From<SessionError> for ApiError {
    fn from(err: SessionError) -> Self {
        ApiError::internal(&err)
    }
}

impl From<LoginError> for ApiError {
    fn from(err: LoginError) -> Self {
        match err {
            LoginError::InvalidCredentials => refusal::invalid_credentials(),
            LoginError::Throttled(wait) => ApiError::rate_limited(wait.whole_seconds()),
            LoginError::Busy(_) => ApiError::busy(),
            LoginError::DirectoryUnavailable => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::DirectoryUnavailable,
                err.to_string(),
            ),
            LoginError::Store(_) | LoginError::Hash(_) => ApiError::internal(&err),
        }
    }
}

impl From<MfaError> for ApiError {
    fn from(err: MfaError) -> Self {
        match err {
            MfaError::InvalidCode => refusal::invalid_enrolment_code(),
            MfaError::AlreadyEnabled => refusal::mfa_already_enabled(),
            MfaError::NotEnrolled => refusal::mfa_not_enrolled(),
            MfaError::Throttled(wait) => ApiError::rate_limited(wait.whole_seconds()),
            MfaError::Busy(_) => ApiError::busy(),
            MfaError::NoSuchUser(_)
            | MfaError::Hashing(_)
            | MfaError::Store(_)
            | MfaError::Keys(_)
            | MfaError::Secret(_) => ApiError::internal(&err),
        }
    }
}

impl From<SignInError> for ApiError {
    fn from(err: SignInError) -> Self {
        match err {
            SignInError::Login(e) => e.into(),
            SignInError::SecondFactorRequired => refusal::mfa_required(),
            SignInError::PasskeyRequired => ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::MfaRequired,
                "This account's second factor is a passkey, which needs a browser: sign in on the web, or use a personal access token.",
            ),
            SignInError::EnrolmentRequired => refusal::mfa_enrollment_required(),
            SignInError::SecondFactor(MfaError::InvalidCode) => refusal::invalid_sign_in_code(),
            SignInError::SecondFactor(e) => e.into(),
            SignInError::Session(e) => e.into(),
            SignInError::Store(e) => e.into(),
            SignInError::Passkey(e) => e.into(),
            SignInError::Register(e) => e.into(),
            SignInError::Recovery(e) => e.into(),
        }
    }
}

impl From<RegisterError> for ApiError {
    fn from(err: RegisterError) -> Self {
        match err {
            RegisterError::Invalid(problems) => ApiError::from_problems(problems),
            RegisterError::Conflict(problem) => {
                refusal::account_exists().with_details_of(ApiError::from_problems(vec![problem]))
            }
            RegisterError::Busy(_) => ApiError::busy(),
            RegisterError::Throttled(wait) => ApiError::rate_limited(wait.whole_seconds()),
            RegisterError::Store(_) | RegisterError::Hash(_) => ApiError::internal(&err),
        }
    }
}

impl From<ChangePasswordError> for ApiError {
    fn from(err: ChangePasswordError) -> Self {
        match err {
            ChangePasswordError::WrongPassword => refusal::wrong_current_password(),
            // The policy names the field `password`; the API's is
            // `new_password` (a password change is this error's only source).
            ChangePasswordError::Invalid(problems) => ApiError::from_problems(
                problems
                    .into_iter()
                    .map(|mut p| {
                        p.field = "new_password";
                        p
                    })
                    .collect(),
            ),
            ChangePasswordError::Busy(_) => ApiError::busy(),
            ChangePasswordError::Throttled(wait) => ApiError::rate_limited(wait.whole_seconds()),
            ChangePasswordError::Store(_)
            | ChangePasswordError::Hash(_)
            | ChangePasswordError::FollowUp(_) => ApiError::internal(&err),
        }
    }
}

impl From<RecoveryError> for ApiError {
    fn from(err: RecoveryError) -> Self {
        match err {
            RecoveryError::InvalidToken => refusal::invalid_reset_token(),
            RecoveryError::Invalid(problems) => ApiError::from_problems(problems),
            RecoveryError::Busy(_) => ApiError::busy(),
            RecoveryError::Throttled(seconds) => ApiError::rate_limited(seconds),
            RecoveryError::Store(_) | RecoveryError::Hash(_) | RecoveryError::Sessions(_) => {
                ApiError::internal(&err)
            }
        }
    }
}

impl From<TokenError> for ApiError {
    fn from(err: TokenError) -> Self {
        match err {
            TokenError::Invalid(problems) => ApiError::from_problems(problems),
            TokenError::NotFound => ApiError::not_found("You have no token with this id."),
            TokenError::Store(_) => ApiError::internal(&err),
        }
    }
}

impl From<AdminError> for ApiError {
    fn from(err: AdminError) -> Self {
        match err {
            AdminError::NoSuchUser(_) => ApiError::not_found("There is no account with this id."),
            AdminError::Invalid(p) => ApiError::problem(p.field, &p.message),
            AdminError::Forbidden(words) => ApiError::forbidden(&words.english),
            AdminError::LastAdministrator => refusal::last_administrator(),
            // An operator resetting a second factor that is not there: the
            // operator's own code, not the self-service one.
            AdminError::Mfa(MfaError::NotEnrolled) => refusal::nothing_to_reset(),
            AdminError::Store(_) | AdminError::Sessions(_) | AdminError::Mfa(_) => {
                ApiError::internal(&err)
            }
        }
    }
}

impl From<rampart_core::passkey::PasskeyError> for ApiError {
    fn from(err: rampart_core::passkey::PasskeyError) -> Self {
        use rampart_core::passkey::PasskeyError as E;
        match err {
            E::NotFound | E::Unavailable => ApiError::not_found(&err.to_string()),
            E::AlreadyRegistered | E::LastWayIn | E::PasswordNeeded => {
                ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict, err.to_string())
            }
            E::Invalid(problem) => ApiError::problem(problem.field, &problem.message),
            E::NotDiscoverable => ApiError::problem("credential", &err.to_string()),
            E::InvalidCeremony | E::Refused(_) | E::Malformed(_) => refusal::invalid_credentials(),
            E::Keys(_) | E::Store(_) => ApiError::internal(&err),
        }
    }
}
