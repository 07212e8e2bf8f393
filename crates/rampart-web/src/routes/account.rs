//! `GET /account`: the signed-in user's page.

use super::sessions::{Changed, offer_sign_out};
use crate::cookies;
use crate::error::WebError;
use crate::extract::{ClientInfo, FreshSession, HtmlForm, SignedIn, Visitor};
use crate::signin::start_session;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use rampart_core::FieldProblem;
use rampart_core::Words;
use rampart_core::account::ChangePasswordError;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;

/// The account routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(show))
        .route(
            "/account/password",
            get(password_form).post(password_submit),
        )
        .route("/account/delete", get(delete_form).post(delete_submit))
}

#[derive(Serialize)]
struct DeletePage<'a> {
    csrf_token: String,
    username: &'a str,
}

async fn delete_form(
    State(state): State<AppState>,
    visitor: Visitor,
    FreshSession(session): FreshSession,
) -> Response {
    state.templates.page(
        StatusCode::OK,
        "account_delete.html",
        DeletePage {
            csrf_token: visitor.csrf_token(&state.settings.csrf_key),
            username: session.user.username.as_str(),
        },
    )
}

#[derive(Deserialize)]
struct DeleteForm {
    #[serde(default)]
    confirm: String,
}

/// Deletes the account (fresh sign-in required) and signs the browser out.
async fn delete_submit(
    State(state): State<AppState>,
    client: ClientInfo,
    FreshSession(session): FreshSession,
    HtmlForm(form): HtmlForm<DeleteForm>,
) -> Result<Response, WebError> {
    if form.confirm != "yes" {
        return Err(WebError::Unprocessable(vec![Words::new(
            "error-delete-unticked",
            "Tick the box to confirm that you want to delete your account.",
        )]));
    }
    state
        .accounts
        .delete_own_account(&session.user, &client.meta())
        .await?;
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        cookies::expired_session_cookie(&state.settings),
    );
    Ok(response)
}

#[derive(Serialize)]
struct PasswordPage<'a> {
    csrf_token: String,
    problems: &'a [FieldProblem],
    min_password: usize,
    breached: bool,
}

fn password_page(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    problems: &[FieldProblem],
) -> Response {
    state.templates.page(
        status,
        "account_password.html",
        PasswordPage {
            csrf_token: visitor.csrf_token(&state.settings.csrf_key),
            problems,
            min_password: state.accounts.policy().min_length,
            breached: visitor
                .session
                .as_ref()
                .is_some_and(|s| s.user.must_change_password),
        },
    )
}

async fn password_form(
    State(state): State<AppState>,
    visitor: Visitor,
    FreshSession(_): FreshSession,
) -> Response {
    password_page(&state, &visitor, StatusCode::OK, &[])
}

#[derive(Deserialize)]
struct PasswordForm {
    current_password: SecretString,
    new_password: SecretString,
    new_password_confirm: SecretString,
}

/// Changes the password: other sessions end, this one is rotated (a new
/// token), reset links die, and the user is told by mail.
async fn password_submit(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientInfo,
    FreshSession(session): FreshSession,
    HtmlForm(form): HtmlForm<PasswordForm>,
) -> Result<Response, WebError> {
    if form.new_password.expose_secret() != form.new_password_confirm.expose_secret() {
        let problems = [FieldProblem::new(
            "new_password_confirm",
            "problem-new-passwords-differ",
            "The two new passwords do not match.",
        )];
        return Ok(password_page(
            &state,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            &problems,
        ));
    }
    let user = session.user.clone();
    match state
        .accounts
        .change_password(
            &user,
            form.current_password,
            form.new_password,
            Some(&session.id),
            &client.meta(),
        )
        .await
    {
        Ok(()) => {
            let user = rampart_core::User {
                must_change_password: false,
                ..user
            };
            start_session(&state, &visitor, user, client, "/account").await
        }
        Err(ChangePasswordError::WrongPassword) => {
            let problems = [FieldProblem::new(
                "current_password",
                "problem-current-password",
                "The current password is incorrect.",
            )];
            Ok(password_page(
                &state,
                &visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                &problems,
            ))
        }
        Err(ChangePasswordError::Invalid(problems)) => Ok(password_page(
            &state,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            &problems,
        )),
        Err(ChangePasswordError::Busy(b)) => Err(WebError::Busy(b)),
        Err(ChangePasswordError::Throttled(wait)) => Err(crate::error::throttled(wait)),
        Err(other) => Err(WebError::internal(other)),
    }
}

#[derive(Serialize)]
struct AccountPage<'a> {
    csrf_token: String,
    username: &'a str,
    email: &'a str,
    email_verified: bool,
    roles: Vec<&'a str>,
    signed_in_at: String,
    is_staff: bool,
    methods: super::identities::SignInMethods,
    offer_sign_out: bool,
    /// Unused recovery codes, when they run low.
    recovery_codes_low: Option<i64>,
}

async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    SignedIn(session): SignedIn,
    Query(changed): Query<Changed>,
) -> Result<Response, WebError> {
    let user = &session.user;
    let methods = super::identities::sign_in_methods(&state, user).await?;
    let offer_sign_out = offer_sign_out(&state, &session, changed.factor()).await?;
    let recovery_codes_low = state.mfa.status(user.id).await?.codes_running_low();
    Ok(state.templates.page(
        StatusCode::OK,
        "account.html",
        AccountPage {
            csrf_token: visitor.csrf_token(&state.settings.csrf_key),
            username: user.username.as_str(),
            email: user.email.as_str(),
            email_verified: user.email_verified,
            roles: user.roles.iter().map(|r| r.as_str()).collect(),
            signed_in_at: session.created_at.format(&Rfc3339).unwrap_or_default(),
            is_staff: state.admin.roles().is_staff(user),
            methods,
            offer_sign_out,
            recovery_codes_low,
        },
    ))
}
