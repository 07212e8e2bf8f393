//! `POST /password-resets` (always 202, same work for any address) and
//! `POST /password-resets/confirm`.

use super::error::{ApiError, ErrorBody};
use super::extract::ApiJson;
use crate::extract::ClientInfo;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use secrecy::SecretString;
use serde::Deserialize;
use utoipa::ToSchema;

/// A reset request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// The account's e-mail address.
    pub email: String,
}

/// Ask for a password reset mail. The answer is the same whether or not an
/// account has this address.
#[utoipa::path(
    post, path = "/password-resets", tag = "recovery",
    request_body = ResetRequest,
    responses(
        (status = 202, description = "Accepted; a mail is sent if the account exists"),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    )
)]
pub async fn request_reset(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<ResetRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .recovery
        .request_reset(&body.email, &client.meta())
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// A new password with the token from the mail.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    /// The token from the mailed link.
    pub token: String,
    /// The new password.
    #[schema(value_type = super::schema::NewPasswordText)]
    pub password: SecretString,
}

/// Set a new password with a reset token; every session of the user ends.
#[utoipa::path(
    post, path = "/password-resets/confirm", tag = "recovery",
    request_body = ResetConfirm,
    responses(
        (status = 204, description = "Password changed"),
        (status = 400, description = "Business refusal `invalid_token`: the reset token is unknown, used or expired; or `malformed_json`", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "The new password is not acceptable", body = ErrorBody),
        (status = 503, description = "Busy; retry", body = ErrorBody),
    )
)]
pub async fn confirm_reset(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<ResetConfirm>,
) -> Result<StatusCode, ApiError> {
    state
        .recovery
        .reset_password(&body.token, body.password, &client.meta())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
