//! The caller's second factor: `POST /me/mfa/totp` (start enrolment),
//! `POST /me/mfa/totp/confirm` (enable with a code; answers the recovery
//! codes once), `DELETE /me/mfa/totp` (disable, with the password) and
//! `POST /me/mfa/recovery-codes` (a new set). Rules: `rampart_core::mfa`.

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, Authorized, WriteMe};
use super::refusal;
use crate::extract::ClientInfo;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rampart_core::mfa::RecoveryCodes;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A pending TOTP enrolment (the secret is shown here and on no later call
/// but this one's repeats, until confirmed).
#[derive(Serialize, ToSchema)]
pub struct TotpEnrolment {
    /// The base32 secret, for typing into an app.
    pub secret: String,
    /// The `otpauth://` URI (what the QR code encodes).
    pub otpauth_uri: String,
}

/// A code from the authenticator app.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCode {
    /// The 6-digit code, digits only.
    #[schema(value_type = super::schema::SixDigitCode)]
    pub code: SecretString,
}

/// Recovery codes, shown once.
#[derive(Serialize, ToSchema)]
pub struct RecoveryCodeList {
    /// Ten single-use codes `xxxxx-xxxxx`.
    pub recovery_codes: Vec<String>,
}

/// The password, to turn the second factor off.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordProof {
    /// The current password.
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
}

fn codes(codes: RecoveryCodes) -> Json<RecoveryCodeList> {
    Json(RecoveryCodeList {
        recovery_codes: codes.0.iter().map(|c| c.as_str().to_owned()).collect(),
    })
}

/// Start a TOTP enrolment (or show the pending one again).
#[utoipa::path(
    post, path = "/me/mfa/totp", tag = "mfa",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The pending enrolment", body = TotpEnrolment),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "insufficient_scope, session_required (a personal access token cannot change the second factor) or reauthentication_required (the sign-in is older than session.fresh_for)", body = ErrorBody),
        (status = 409, description = "mfa_already_enabled", body = ErrorBody),
    )
)]
pub async fn begin_totp(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<WriteMe>,
) -> Result<Json<TotpEnrolment>, ApiError> {
    caller.require_fresh_session(&state.sessions, "Setting up two-factor authentication")?;
    let e = state.mfa.begin_enrolment(&caller.user).await?;
    Ok(Json(TotpEnrolment {
        secret: e.secret.as_str().to_owned(),
        otpauth_uri: e.otpauth_uri.as_str().to_owned(),
    }))
}

/// Enable TOTP with a valid code; answers the recovery codes (once).
#[utoipa::path(
    post, path = "/me/mfa/totp/confirm", tag = "mfa",
    security(("bearer" = [])),
    request_body = TotpCode,
    responses(
        (status = 200, description = "Enabled", body = RecoveryCodeList),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "insufficient_scope, session_required (a personal access token cannot change the second factor) or reauthentication_required (the sign-in is older than session.fresh_for)", body = ErrorBody),
        (status = 409, description = "mfa_already_enabled or mfa_not_enrolled", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Business refusal `invalid_mfa_code`: the code is not the one the app shows now, or was used already; or `validation_failed`: not six digits", body = ErrorBody),
    )
)]
pub async fn confirm_totp(
    State(state): State<AppState>,
    client: ClientInfo,
    Authorized(caller, _): Authorized<WriteMe>,
    ApiJson(body): ApiJson<TotpCode>,
) -> Result<Json<RecoveryCodeList>, ApiError> {
    let code = body.code.expose_secret();
    if !super::schema::is_six_digits(code) {
        return Err(ApiError::problem(
            "code",
            "Give the 6 digits the authenticator app shows.",
        ));
    }
    caller.require_fresh_session(&state.sessions, "Setting up two-factor authentication")?;
    let list = state
        .mfa
        .confirm_enrolment(&caller.user, code, &client.meta())
        .await?;
    Ok(codes(list))
}

/// Turn TOTP off (the password proves it is the owner).
#[utoipa::path(
    delete, path = "/me/mfa/totp", tag = "mfa",
    security(("bearer" = [])),
    request_body = PasswordProof,
    responses(
        (status = 204, description = "Disabled"),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "insufficient_scope, session_required (a personal access token cannot change the second factor) or reauthentication_required (the sign-in is older than session.fresh_for)", body = ErrorBody),
        (status = 409, description = "mfa_not_enrolled", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Business refusal `invalid_password`: the password is wrong; two-factor authentication stays on", body = ErrorBody),
        (status = 503, description = "Busy; retry. Or directory_unavailable: the password of a directory account cannot be checked now", body = ErrorBody),
    )
)]
pub async fn disable_totp(
    State(state): State<AppState>,
    client: ClientInfo,
    Authorized(caller, _): Authorized<WriteMe>,
    ApiJson(body): ApiJson<PasswordProof>,
) -> Result<StatusCode, ApiError> {
    caller.require_fresh_session(&state.sessions, "Turning two-factor authentication off")?;
    let turned_off = state
        .signin
        .turn_off_second_factor(&caller.user, body.password, &client.meta())
        .await?;
    if !turned_off {
        return Err(refusal::wrong_password_mfa_stays());
    }
    Ok(StatusCode::NO_CONTENT)
}

/// A new set of recovery codes; the old set stops working.
#[utoipa::path(
    post, path = "/me/mfa/recovery-codes", tag = "mfa",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new codes", body = RecoveryCodeList),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "insufficient_scope, session_required (a personal access token cannot change the second factor) or reauthentication_required (the sign-in is older than session.fresh_for)", body = ErrorBody),
        (status = 409, description = "mfa_not_enrolled", body = ErrorBody),
    )
)]
pub async fn regenerate_codes(
    State(state): State<AppState>,
    client: ClientInfo,
    Authorized(caller, _): Authorized<WriteMe>,
) -> Result<Json<RecoveryCodeList>, ApiError> {
    caller.require_fresh_session(&state.sessions, "Creating recovery codes")?;
    let list = state
        .mfa
        .regenerate_codes(&caller.user, &client.meta())
        .await?;
    Ok(codes(list))
}
