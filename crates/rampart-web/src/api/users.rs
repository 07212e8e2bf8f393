//! `POST /users`: anonymous sign-up when registration is open.

use super::error::{ApiError, ErrorBody};
use super::extract::ApiJson;
use super::refusal;
use super::schema::{EmailText, NewPasswordText, UsernameText};
use crate::extract::ClientInfo;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rampart_core::{Registration, User};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A sign-up request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// 3–32 characters of `A–Z a–z 0–9 _ . -`, starting with a letter or digit.
    #[schema(value_type = UsernameText)]
    pub username: String,
    /// E-mail address.
    #[schema(value_type = EmailText)]
    pub email: String,
    /// The password (see `NewPasswordText`).
    #[schema(value_type = NewPasswordText)]
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
        (status = 422, description = "Invalid fields; also the business refusal `validation_failed` on `password` for a well-formed password that is common, breached, or contains the username or address", body = ErrorBody),
        (status = 503, description = "Busy; retry", body = ErrorBody),
    )
)]
pub async fn create_user(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<CreatedUser>), ApiError> {
    if !state.settings.registration_open {
        return Err(refusal::registration_closed());
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
        .await?;
    Ok((StatusCode::CREATED, Json(CreatedUser::from(&user))))
}
