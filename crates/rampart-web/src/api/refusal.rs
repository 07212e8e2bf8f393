//! Business refusals: answers to well-formed requests that the rules turn
//! down (a wrong current password, a used code, the last administrator…).
//! Handlers build them with the functions here, and [`document`] puts the
//! very same bodies into the OpenAPI document as examples on the operations
//! that answer them, so an example cannot differ from the real answer.

use super::error::{ApiError, ErrorCode};
use axum::http::StatusCode;
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

/// 401 `invalid_credentials`: one answer for an unknown user and a wrong password.
pub fn invalid_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        ErrorCode::InvalidCredentials,
        "The username or password is incorrect, or the account cannot sign in.",
    )
}

/// 401 `mfa_required`: the password was right; send it again with `code`.
pub fn mfa_required() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        ErrorCode::MfaRequired,
        "This account uses two-factor authentication: send the password again with \"code\" (a TOTP or recovery code).",
    )
}

/// 403 `mfa_enrollment_required`: the password was right, but the account
/// must have a second factor (`mfa.required`) and has none yet.
pub fn mfa_enrollment_required() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::MfaEnrollmentRequired,
        "This account must set up two-factor authentication before it can use the API: sign in on the web, where you will be asked to enrol.",
    )
}

/// 401 `invalid_mfa_code` at sign-in.
pub fn invalid_sign_in_code() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        ErrorCode::InvalidMfaCode,
        "The code is not valid: use the current code from the app, or an unused recovery code.",
    )
}

/// 422 `invalid_mfa_code` when confirming enrolment.
pub fn invalid_enrolment_code() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::InvalidMfaCode,
        "The code is not valid; enter the code the app shows now.",
    )
}

/// 422 `invalid_password`: the current password is wrong.
pub fn wrong_current_password() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::InvalidPassword,
        "The current password is incorrect.",
    )
}

/// 422 `invalid_password` when turning the second factor off.
pub fn wrong_password_mfa_stays() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::InvalidPassword,
        "The password is incorrect; two-factor authentication stays on.",
    )
}

/// 400 `invalid_token`: the mailed reset token is unknown, used or expired.
pub fn invalid_reset_token() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidToken,
        "The reset token is unknown, already used or expired; ask for a new one.",
    )
}

/// 403 `registration_closed`.
pub fn registration_closed() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::RegistrationClosed,
        "Registration is closed on this site.",
    )
}

/// 409 `conflict`: the username or e-mail address is taken.
pub fn account_exists() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        ErrorCode::Conflict,
        "An account with this username or e-mail address already exists.",
    )
}

/// 409 `mfa_already_enabled`.
pub fn mfa_already_enabled() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        ErrorCode::MfaAlreadyEnabled,
        "Two-factor authentication is already on; disable it first to enrol again.",
    )
}

/// 409 `mfa_not_enrolled`: no second factor is being set up, or none is on.
pub fn mfa_not_enrolled() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        ErrorCode::MfaNotEnrolled,
        "Two-factor authentication is not set up; start with POST /me/mfa/totp.",
    )
}

/// 409 `not_enrolled`: an administrator resets a second factor that is off.
pub fn nothing_to_reset() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        ErrorCode::NotEnrolled,
        "This account has no second factor to reset.",
    )
}

/// 409 `last_administrator`.
pub fn last_administrator() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        ErrorCode::LastAdministrator,
        rampart_core::account::AdminError::LastAdministrator.to_string(),
    )
}

/// 422 `validation_failed` for a well-formed new password the policy
/// refuses (here a common one: the policy's own answer for `password`).
pub fn common_password() -> ApiError {
    let policy = rampart_core::password::PasswordPolicy::default();
    let password = secrecy::SecretString::from("password");
    ApiError::from_problems(policy.check(&password, None, None))
}

/// Builds one refusal.
pub type Refusal = fn() -> ApiError;

/// Which operation answers which refusal: `(path, method, refusal)`. (The
/// OpenAPI test checks that each one is in the served document.)
pub const DOCUMENTED: &[(&str, &str, Refusal)] = &[
    ("/users", "post", registration_closed),
    ("/users", "post", account_exists),
    ("/users", "post", common_password),
    ("/me/password", "put", common_password),
    ("/password-resets/confirm", "post", common_password),
    ("/sessions", "post", invalid_credentials),
    ("/sessions", "post", mfa_required),
    ("/sessions", "post", invalid_sign_in_code),
    ("/sessions", "post", mfa_enrollment_required),
    ("/me/password", "put", wrong_current_password),
    ("/me/mfa/totp", "post", mfa_already_enabled),
    ("/me/mfa/totp/confirm", "post", invalid_enrolment_code),
    ("/me/mfa/totp/confirm", "post", mfa_already_enabled),
    ("/me/mfa/totp/confirm", "post", mfa_not_enrolled),
    ("/me/mfa/totp", "delete", wrong_password_mfa_stays),
    ("/me/mfa/totp", "delete", mfa_not_enrolled),
    ("/me/mfa/recovery-codes", "post", mfa_not_enrolled),
    ("/password-resets/confirm", "post", invalid_reset_token),
    ("/admin/users/{id}", "patch", last_administrator),
    ("/admin/users/{id}", "delete", last_administrator),
    ("/admin/users/{id}/mfa", "delete", nothing_to_reset),
];

/// Adds each refusal to its operation: an example named by its code, with
/// the body the server sends, and the code named in the description.
pub fn document(doc: &mut OpenApi) {
    for (path, method, make) in DOCUMENTED {
        let error = make();
        let code = error.code_text();
        let status = error.status().as_u16().to_string();
        let Some(item) = doc.paths.paths.get_mut(*path) else {
            tracing::error!(
                path,
                "a refusal is documented on a path the API does not have"
            );
            continue;
        };
        let operation = match *method {
            "get" => item.get.as_mut(),
            "post" => item.post.as_mut(),
            "put" => item.put.as_mut(),
            "patch" => item.patch.as_mut(),
            "delete" => item.delete.as_mut(),
            _ => None,
        };
        let Some(operation) = operation else {
            tracing::error!(
                path,
                method,
                "a refusal is documented on a missing operation"
            );
            continue;
        };
        let response = operation
            .responses
            .responses
            .entry(status)
            .or_insert_with(|| ResponseBuilder::new().description("").build().into());
        let RefOr::T(response) = response else {
            continue;
        };
        if !response.description.contains(&format!("`{code}`")) {
            let sep = if response.description.is_empty() {
                ""
            } else {
                "; "
            };
            response.description = format!(
                "{}{sep}business refusal `{code}`: {}",
                response.description,
                error.message()
            );
        }
        let content = response
            .content
            .entry("application/json".to_owned())
            .or_insert_with(|| {
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build()
                    .into()
            });
        let RefOr::T(content) = content else {
            continue;
        };
        let example = ExampleBuilder::new()
            .summary(code.clone())
            .value(Some(error.body_json()))
            .build();
        content.examples.insert(code, example.into());
    }
}
