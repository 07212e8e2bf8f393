//! Changing the e-mail address (`/account/email`, fresh sign-in required):
//! a link goes to the new address and a notice to the old one; the change
//! happens on the POST of `/account/email/confirm` (the GET only shows a
//! button, for mail scanners). Also `/account/verify-email/resend`.

use crate::error::WebError;
use crate::extract::{ClientInfo, FreshSession, HtmlForm, SignedIn, Visitor};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use rampart_core::Words;
use rampart_core::{FieldProblem, RecoveryError};
use serde::{Deserialize, Serialize};

/// Routes that need a signed-in session.
pub fn protected() -> Router<AppState> {
    Router::new()
        .route("/account/email", get(form).post(submit))
        .route("/account/verify-email/resend", post(resend))
}

/// The confirmation link works without signing in: the token is the proof.
pub fn public() -> Router<AppState> {
    Router::new().route("/account/email/confirm", get(confirm_form).post(confirm))
}

#[derive(Serialize)]
struct EmailPage<'a> {
    csrf_token: String,
    email: &'a str,
    new_email: &'a str,
    problems: &'a [FieldProblem],
    sent: bool,
}

async fn form(
    State(state): State<AppState>,
    visitor: Visitor,
    FreshSession(session): FreshSession,
) -> Response {
    state.templates.page(
        StatusCode::OK,
        "account_email.html",
        EmailPage {
            csrf_token: visitor.csrf_token(&state.settings.csrf_key),
            email: session.user.email.as_str(),
            new_email: "",
            problems: &[],
            sent: false,
        },
    )
}

#[derive(Deserialize)]
struct EmailForm {
    #[serde(default)]
    email: String,
}

async fn submit(
    State(state): State<AppState>,
    visitor: Visitor,
    FreshSession(session): FreshSession,
    HtmlForm(form): HtmlForm<EmailForm>,
) -> Result<Response, WebError> {
    let (status, problems, sent) = match state
        .recovery
        .request_email_change(&session.user, &form.email)
        .await
    {
        Ok(()) => (StatusCode::OK, Vec::new(), true),
        Err(RecoveryError::Invalid(problems)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, problems, false)
        }
        Err(other) => return Err(WebError::internal(other)),
    };
    Ok(state.templates.page(
        status,
        "account_email.html",
        EmailPage {
            csrf_token: visitor.csrf_token(&state.settings.csrf_key),
            email: session.user.email.as_str(),
            new_email: form.email.trim(),
            problems: &problems,
            sent,
        },
    ))
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    token: String,
}

#[derive(Serialize)]
struct ConfirmPage<'a> {
    csrf_token: String,
    token: &'a str,
    email: &'a str,
    done: bool,
}

async fn confirm_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(q): Query<TokenForm>,
) -> Response {
    let csrf_token = visitor.csrf_token(&state.settings.csrf_key);
    state.templates.page(
        StatusCode::OK,
        "email_confirm.html",
        ConfirmPage {
            csrf_token,
            token: &q.token,
            email: "",
            done: false,
        },
    )
}

async fn confirm(
    State(state): State<AppState>,
    visitor: Visitor,
    HtmlForm(form): HtmlForm<TokenForm>,
) -> Result<Response, WebError> {
    match state.recovery.confirm_email_change(&form.token).await {
        Ok(user_id) => {
            let user = state.accounts.user_by_id(user_id).await?;
            let email = user
                .map(|u| u.email.as_str().to_owned())
                .unwrap_or_default();
            let csrf_token = visitor.csrf_token(&state.settings.csrf_key);
            Ok(state.templates.page(
                StatusCode::OK,
                "email_confirm.html",
                ConfirmPage {
                    csrf_token,
                    token: "",
                    email: &email,
                    done: true,
                },
            ))
        }
        Err(RecoveryError::InvalidToken) => Err(WebError::BadRequest(Words::new(
            "error-email-link",
            "This confirmation link is invalid, has already been used, or has expired. Ask for a new one on your account page.",
        ))),
        Err(RecoveryError::Invalid(problems)) => Err(WebError::Unprocessable(
            problems.into_iter().map(|p| p.words).collect(),
        )),
        Err(other) => Err(WebError::internal(other)),
    }
}

async fn resend(
    State(state): State<AppState>,
    client: ClientInfo,
    SignedIn(session): SignedIn,
) -> Result<Response, WebError> {
    if session.user.email_verified {
        return Ok(Redirect::to("/account").into_response());
    }
    match state
        .recovery
        .resend_verification(&session.user, &client.meta())
        .await
    {
        Ok(()) => Ok(Redirect::to("/account").into_response()),
        Err(RecoveryError::Throttled(wait)) => Err(WebError::TooManyRequests {
            message: Words::new(
                "error-verify-throttled",
                format!(
                    "A confirmation mail was sent moments ago. Check your inbox, or ask again in {} minute(s).",
                    (wait + 59) / 60
                ),
            )
            .with("minutes", (wait + 59) / 60),
            retry_after: wait,
        }),
        Err(other) => Err(WebError::internal(other)),
    }
}
