//! `POST /users`: anonymous sign-up when registration is open.

use super::error::{ApiError, ErrorBody, ErrorCode};
use super::extract::ApiJson;
use crate::extract::ClientInfo;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rampart_core::{RegisterError, Registration, User};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A sign-up request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// 3–32 characters of `A–Z a–z 0–9 _ . -`, starting with a letter or digit.
    #[schema(pattern = "^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$")]
    pub username: String,
    /// E-mail address.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// At least 8 characters, at most 1024 bytes, not a common password.
    #[schema(value_type = String, format = Password, min_length = 8, max_length = 1024)]
    pub password: SecretString,
}

/// A created account.
#[derive(Serialize, ToSchema)]
pub struct CreatedUser {
    /// Identifier.
    pub id: String,
    /// Username.
    pub username: String,
    /// E-mail address.
    pub email: String,
}

impl From<&User> for CreatedUser {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.to_string(),
            username: user.username.to_string(),
            email: user.email.to_string(),
        }
    }
}

/// Maps a registration failure.
pub fn register_error(err: RegisterError) -> ApiError {
    match err {
        RegisterError::Invalid(problems) => ApiError::from_problems(problems),
        RegisterError::Conflict(problem) => {
            let mut error = ApiError::from_problems(vec![problem]);
            error = ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::Conflict,
                "An account with this username or e-mail address already exists.",
            )
            .with_details_of(error);
            error
        }
        RegisterError::Busy(_) => ApiError::busy(),
        RegisterError::Throttled(wait) => ApiError::rate_limited(wait.whole_seconds()),
        other => ApiError::internal(&other),
    }
}

/// Create an account.
#[utoipa::path(
    post, path = "/users", tag = "users",
    request_body = NewUser,
    responses(
        (status = 201, description = "Created", body = CreatedUser),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 403, description = "Registration is closed", body = ErrorBody),
        (status = 409, description = "Username or e-mail taken", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Invalid fields; also the business refusal `validation_failed` on `password` for a well-formed password that is common, breached, or contains the username or address", body = ErrorBody, examples(("validation_failed" = (summary = "a common password", value = json!({"error": {"code": "validation_failed", "message": "The request body has invalid fields; see details.", "details": [{"field": "password", "message": "This password is too common; choose another."}]}}))))),
        (status = 503, description = "Busy; retry", body = ErrorBody),
    )
)]
pub async fn create_user(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<CreatedUser>), ApiError> {
    if !state.settings.registration_open {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::RegistrationClosed,
            "Registration is closed on this site.",
        ));
    }
    let user = state
        .accounts
        .register(
            Registration {
                username: body.username,
                email: body.email,
                password: body.password,
                password_confirm: None,
                roles: Vec::new(),
            },
            &client.meta(),
        )
        .await
        .map_err(register_error)?;
    Ok((StatusCode::CREATED, Json(CreatedUser::from(&user))))
}
