//! `GET /register` and `POST /register`: self-service sign-up. Every problem
//! is listed at once on a 422 page that keeps what was typed (except the
//! passwords); success signs the new user in with a fresh session.

use crate::error::WebError;
use crate::extract::{ClientInfo, HtmlForm, Visitor};
use crate::signin::start_session;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use rampart_core::Words;
use rampart_core::{FieldProblem, RegisterError, Registration};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// The registration routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/register", get(show).post(submit))
}

/// The account form's fields (also the first administrator's, whose form
/// carries its setup link's `token`).
#[derive(Deserialize)]
pub struct RegisterForm {
    /// The setup link's token (`/setup` only).
    #[serde(default)]
    pub token: String,
    /// Username.
    #[serde(default)]
    pub username: String,
    /// E-mail address.
    #[serde(default)]
    pub email: String,
    /// Password.
    pub password: SecretString,
    /// The password again.
    pub password_confirm: SecretString,
}

#[derive(Serialize)]
struct RegisterPage<'a> {
    heading: &'a str,
    form_action: &'a str,
    setup_token: Option<&'a str>,
    csrf_token: String,
    username: &'a str,
    email: &'a str,
    problems: &'a [FieldProblem],
    min_password: usize,
    /// Offer "Create the account with a passkey" (not at first set-up).
    passkeys: bool,
}

/// Which form: self-service sign-up, or the first administrator's setup
/// (with its link's token).
#[derive(Clone, Copy)]
pub enum Purpose<'a> {
    /// `/register`.
    SignUp,
    /// `/setup`.
    Setup(&'a str),
}

fn page(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    username: &str,
    email: &str,
    problems: &[FieldProblem],
) -> Response {
    form_page(
        state,
        visitor,
        Purpose::SignUp,
        status,
        (username, email),
        problems,
    )
}

/// The account form for `purpose`, keeping what was typed (but passwords).
pub fn form_page(
    state: &AppState,
    visitor: &Visitor,
    purpose: Purpose<'_>,
    status: StatusCode,
    (username, email): (&str, &str),
    problems: &[FieldProblem],
) -> Response {
    let (heading, form_action, setup_token) = match purpose {
        Purpose::SignUp => ("register-title", "/register", None),
        Purpose::Setup(token) => ("register-title-first-admin", "/setup", Some(token)),
    };
    state.templates.page(
        status,
        "register.html",
        RegisterPage {
            heading,
            form_action,
            setup_token,
            csrf_token: visitor.csrf_token(&state.settings.csrf_key),
            username,
            email,
            problems,
            min_password: state.accounts.policy().min_length,
            passkeys: setup_token.is_none() && state.passkeys.available(),
        },
    )
}

pub(crate) fn closed() -> WebError {
    WebError::Forbidden(Words::new(
        "error-registration-closed",
        "Registration is closed on this site. Ask its operator for an account.",
    ))
}

async fn show(State(state): State<AppState>, visitor: Visitor) -> Result<Response, WebError> {
    if !state.settings.registration_open {
        return Err(closed());
    }
    Ok(page(&state, &visitor, StatusCode::OK, "", "", &[]))
}

async fn submit(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientInfo,
    HtmlForm(form): HtmlForm<RegisterForm>,
) -> Result<Response, WebError> {
    if !state.settings.registration_open {
        return Err(closed());
    }
    let registration = Registration {
        username: form.username.clone(),
        // People type spaces around an address; the API takes it as sent.
        email: form.email.trim().to_owned(),
        password: form.password,
        password_confirm: Some(form.password_confirm),
        roles: Vec::new(),
    };
    match state.accounts.register(registration, &client.meta()).await {
        Ok(user) => start_session(&state, &visitor, user, client, "/account").await,
        Err(RegisterError::Conflict(problem)) => Ok(page(
            &state,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form.username,
            &form.email,
            &[problem],
        )),
        Err(RegisterError::Invalid(problems)) => Ok(page(
            &state,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form.username,
            &form.email,
            &problems,
        )),
        Err(other) => Err(other.into()),
    }
}
