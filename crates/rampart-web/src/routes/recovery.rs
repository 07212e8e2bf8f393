//! Mailed-link pages: `/password/forgot`, `/password/reset` and
//! `/verify-email`. The forgot form answers the same page whatever address is
//! given. A link opened with GET only shows a form (mail scanners open every
//! link); the change happens on the POST.

use crate::error::WebError;
use crate::extract::ClientInfo;
use crate::extract::{HtmlForm, Visitor};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use rampart_core::Words;
use rampart_core::{FieldProblem, RecoveryError};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// The recovery routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/password/forgot", get(forgot_form).post(forgot_submit))
        .route("/password/reset", get(reset_form).post(reset_submit))
        .route("/verify-email", get(verify_form).post(verify_submit))
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Serialize)]
struct ForgotPage {
    csrf_token: String,
    sent: bool,
}

async fn forgot_form(State(state): State<AppState>, visitor: Visitor) -> Response {
    let csrf_token = visitor.csrf_token(&state.settings.csrf_key);
    state.templates.page(
        StatusCode::OK,
        "password_forgot.html",
        ForgotPage {
            csrf_token,
            sent: false,
        },
    )
}

#[derive(Deserialize)]
struct ForgotForm {
    #[serde(default)]
    email: String,
}

async fn forgot_submit(
    State(state): State<AppState>,
    client: ClientInfo,
    visitor: Visitor,
    HtmlForm(form): HtmlForm<ForgotForm>,
) -> Result<Response, WebError> {
    match state
        .recovery
        .request_reset(&form.email, &client.meta())
        .await
    {
        Ok(()) => {}
        Err(RecoveryError::Throttled(wait)) => {
            return Err(WebError::TooManyRequests {
                message: Words::new(
                    "error-reset-throttled",
                    format!(
                        "Too many reset mails were asked for. Check your inbox, or ask again in {} minute(s).",
                        (wait + 59) / 60
                    ),
                )
                .with("minutes", (wait + 59) / 60),
                retry_after: wait,
            });
        }
        Err(other) => return Err(WebError::internal(other)),
    }
    let csrf_token = visitor.csrf_token(&state.settings.csrf_key);
    Ok(state.templates.page(
        StatusCode::OK,
        "password_forgot.html",
        ForgotPage {
            csrf_token,
            sent: true,
        },
    ))
}

#[derive(Serialize)]
struct ResetPage<'a> {
    csrf_token: String,
    token: &'a str,
    problems: &'a [FieldProblem],
    min_password: usize,
    /// Offer "Add a new passkey instead".
    passkey: bool,
}

fn invalid_link() -> WebError {
    WebError::BadRequest(Words::new(
        "error-reset-link",
        "This link is invalid, has already been used, or has expired. Ask for a new one on the \"Forgot your password?\" page.",
    ))
}

async fn reset_page(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    token: &str,
    problems: &[FieldProblem],
) -> Result<Response, WebError> {
    // An account without a password (its passkeys were its way in) may
    // recover with a new passkey instead.
    let passkey =
        state.passkeys.available() && state.signin.passkey_recovery_for(token).await?.is_some();
    Ok(state.templates.page(
        status,
        "password_reset.html",
        ResetPage {
            csrf_token: visitor.csrf_token(&state.settings.csrf_key),
            token,
            problems,
            min_password: state.accounts.policy().min_length,
            passkey,
        },
    ))
}

async fn reset_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(q): Query<TokenQuery>,
) -> Result<Response, WebError> {
    let live = state
        .recovery
        .reset_token_is_live(&q.token)
        .await
        .map_err(WebError::internal)?;
    if !live {
        return Err(invalid_link());
    }
    reset_page(&state, &visitor, StatusCode::OK, &q.token, &[]).await
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    token: String,
    password: SecretString,
    password_confirm: SecretString,
}

async fn reset_submit(
    State(state): State<AppState>,
    client: ClientInfo,
    visitor: Visitor,
    HtmlForm(form): HtmlForm<ResetForm>,
) -> Result<Response, WebError> {
    if form.password.expose_secret() != form.password_confirm.expose_secret() {
        let problems = [FieldProblem::passwords_differ()];
        return reset_page(
            &state,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form.token,
            &problems,
        )
        .await;
    }
    match state
        .recovery
        .reset_password(&form.token, form.password, &client.meta())
        .await
    {
        Ok(_) => Ok(Redirect::to("/login").into_response()),
        Err(RecoveryError::InvalidToken) => Err(invalid_link()),
        Err(RecoveryError::Invalid(problems)) => {
            reset_page(
                &state,
                &visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form.token,
                &problems,
            )
            .await
        }
        Err(RecoveryError::Busy(b)) => Err(WebError::Busy(b)),
        Err(other) => Err(WebError::internal(other)),
    }
}

#[derive(Serialize)]
struct VerifyPage<'a> {
    csrf_token: String,
    token: &'a str,
    verified: bool,
}

async fn verify_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(q): Query<TokenQuery>,
) -> Response {
    let csrf_token = visitor.csrf_token(&state.settings.csrf_key);
    state.templates.page(
        StatusCode::OK,
        "verify_email.html",
        VerifyPage {
            csrf_token,
            token: &q.token,
            verified: false,
        },
    )
}

async fn verify_submit(
    State(state): State<AppState>,
    client: ClientInfo,
    visitor: Visitor,
    HtmlForm(form): HtmlForm<TokenQuery>,
) -> Result<Response, WebError> {
    match state
        .recovery
        .verify_email(&form.token, &client.meta())
        .await
    {
        Ok(user_id) => {
            // A signed-in session of this user re-reads its user on the next cache refresh;
            // drop it from the cache now so the badge disappears at once.
            if let Some(session) = &visitor.session
                && session.user.id == user_id
            {
                state.sessions.forget_cached(&session.digest);
            }
            let csrf_token = visitor.csrf_token(&state.settings.csrf_key);
            Ok(state.templates.page(
                StatusCode::OK,
                "verify_email.html",
                VerifyPage {
                    csrf_token,
                    token: "",
                    verified: true,
                },
            ))
        }
        Err(RecoveryError::InvalidToken) => Err(WebError::BadRequest(Words::new(
            "error-verify-link",
            "This confirmation link is invalid, has already been used, or has expired.",
        ))),
        Err(other) => Err(WebError::internal(other)),
    }
}
