//! Passkeys in the browser:
//! - `/account/passkeys`: the account's passkeys (name, added, last used,
//!   synced) with "Add a passkey" and "Remove"; both need a fresh sign-in;
//! - `POST /login/passkey/options` and `POST /login/passkey`: signing in
//!   with a passkey alone;
//! - `POST /register/passkey/options` and `POST /register/passkey`: a new
//!   account whose way in is a passkey, with no password;
//! - `POST /password/reset/passkey/options` and `POST /password/reset/passkey`:
//!   such an account, its passkeys lost, recovers through its mailed reset
//!   link with a new passkey;
//! - `POST /login/mfa/passkey/options` and `POST /login/mfa/passkey`: a
//!   passkey as the second step after a password (or a provider);
//! - `POST /reauth/passkey/options` and `POST /reauth/passkey`: proving
//!   oneself again with a passkey.
//!
//! The ceremonies run in `static/passkey.js` (the one script, allowed by
//! the CSP's `script-src 'self'`), which fetches options as JSON and posts
//! the authenticator's answer back with the ceremony token and the
//! `X-CSRF-Token` header. A completed step answers 200 with
//! `{"redirect": …}` and the cookies, not a 303: `fetch` would follow a
//! redirect to an application's own address, which the CSP forbids it.
//! Every other page works without JavaScript.

use crate::error::WebError;
use crate::extract::{ClientInfo, FreshSession, HtmlForm, SignedIn, Visitor};
use crate::next::safe_local_path;
use crate::signin;
use crate::state::AppState;
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use rampart_core::Words;
use rampart_core::authn::{PasskeyAnswer, Reproved, SecondStep};
use rampart_core::passkey::{Ceremony, NewPasskey, PasskeyId, PasskeySummary, Remover};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;

/// The passkey pages of a signed-in account.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/passkeys", get(list).post(add))
        .route("/account/passkeys/options", post(add_options))
        .route("/account/passkeys/remove", post(remove))
        .route("/account/password/remove", post(remove_password))
        .route("/reauth/passkey/options", post(reauth_options))
        .route("/reauth/passkey", post(reauth))
}

/// Signing in with a passkey (no session needed).
pub fn public() -> Router<AppState> {
    Router::new()
        .route("/login/passkey/options", post(sign_in_options))
        .route("/login/passkey", post(sign_in))
        .route("/password/reset/passkey/options", post(recovery_options))
        .route("/password/reset/passkey", post(recover))
        .route("/register/passkey/options", post(sign_up_options))
        .route("/register/passkey", post(sign_up))
        .route("/login/mfa/passkey/options", post(second_step_options))
        .route("/login/mfa/passkey", post(second_step))
}

#[derive(Serialize)]
struct Row {
    id: String,
    name: String,
    created_at: String,
    last_used_at: String,
    synced: &'static str,
    alone: bool,
}

fn row(p: PasskeySummary) -> Row {
    let time = |t: time::OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    Row {
        id: p.id,
        name: p.name,
        created_at: time(p.created_at),
        last_used_at: p.last_used_at.map_or_else(|| "never".to_owned(), time),
        synced: match (p.backup_eligible, p.backup_state) {
            (_, true) => "synced",
            (true, false) => "can-sync",
            (false, false) => "this-device",
        },
        alone: p.discoverable,
    }
}

#[derive(Serialize)]
struct PasskeysPage {
    csrf_token: String,
    passkeys: Vec<Row>,
    available: bool,
    fresh: bool,
    has_password: bool,
}

async fn list(
    State(state): State<AppState>,
    visitor: Visitor,
    SignedIn(session): SignedIn,
) -> Result<Response, WebError> {
    let passkeys = state.passkeys.list(session.user.id).await?;
    Ok(state.templates.page(
        StatusCode::OK,
        "account_passkeys.html",
        PasskeysPage {
            csrf_token: visitor.csrf_token(&state.settings.csrf_key),
            passkeys: passkeys.into_iter().map(row).collect(),
            available: state.passkeys.available(),
            fresh: state.sessions.is_fresh(&session),
            has_password: state.passkeys.has_password(&session.user).await?,
        },
    ))
}

#[derive(Serialize)]
struct Options {
    ceremony: String,
    #[serde(flatten)]
    options: serde_json::Value,
}

fn options(ceremony: Ceremony) -> Json<Options> {
    Json(Options {
        ceremony: ceremony.token.expose_secret().to_owned(),
        options: ceremony.options,
    })
}

/// A JSON body of at most the global body limit, as `T`.
fn json_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, WebError> {
    serde_json::from_slice(body).map_err(|e| {
        WebError::BadRequest(
            Words::new(
                "error-json",
                format!("The request is not the JSON expected: {e}"),
            )
            .with("why", e),
        )
    })
}

async fn add_options(
    State(state): State<AppState>,
    visitor: Visitor,
    FreshSession(session): FreshSession,
) -> Result<Json<Options>, WebError> {
    let ceremony = state
        .passkeys
        .start_registration(&session.user, visitor.digest(), NewPasskey::Extra)
        .await?;
    Ok(options(ceremony))
}

#[derive(Deserialize)]
struct AddBody {
    ceremony: String,
    name: String,
    credential: serde_json::Value,
}

async fn add(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientInfo,
    FreshSession(session): FreshSession,
    body: Bytes,
) -> Result<Response, WebError> {
    let body: AddBody = json_body(&body)?;
    let added = state
        .passkeys
        .finish_registration(
            &session.user,
            visitor.digest(),
            NewPasskey::Extra,
            &body.ceremony,
            &body.name,
            &body.credential,
            &client.meta(),
        )
        .await?;
    // Under `mfa.required` this was the enrolment: sessions confined to it
    // end, as after enrolling TOTP.
    let factor = rampart_core::authn::SecondFactor::of_passkey(added.presence);
    state
        .signin
        .second_factor_enrolled(&session, factor)
        .await?;
    let added = crate::api::passkeys::PasskeyInfo::from(added.passkey);
    Ok((StatusCode::CREATED, Json(added)).into_response())
}

#[derive(Deserialize)]
struct RemoveForm {
    #[serde(default)]
    passkey_id: String,
}

async fn remove(
    State(state): State<AppState>,
    client: ClientInfo,
    FreshSession(session): FreshSession,
    HtmlForm(form): HtmlForm<RemoveForm>,
) -> Result<Response, WebError> {
    state
        .passkeys
        .remove(
            &session.user,
            &PasskeyId(form.passkey_id),
            Remover::Owner(&session.id),
            &client.meta(),
        )
        .await?;
    Ok(Redirect::to("/account/passkeys").into_response())
}

async fn remove_password(
    State(state): State<AppState>,
    client: ClientInfo,
    FreshSession(session): FreshSession,
) -> Result<Response, WebError> {
    state
        .passkeys
        .remove_password(&session.user, &session.id, &client.meta())
        .await?;
    Ok(Redirect::to("/account/passkeys").into_response())
}

/// The answer to a reset link that is not (or no longer) one a new passkey
/// may recover.
fn not_a_passkey_recovery() -> WebError {
    WebError::BadRequest(Words::new(
        "error-passkey-recovery-link",
        "This link is invalid, already used or expired, or the account has a password: set a new password instead.",
    ))
}

#[derive(Deserialize)]
struct RecoveryStart {
    #[serde(default)]
    token: String,
}

async fn recovery_options(
    State(state): State<AppState>,
    visitor: Visitor,
    body: Bytes,
) -> Result<Json<Options>, WebError> {
    let body: RecoveryStart = json_body(&body)?;
    match state
        .signin
        .start_passkey_recovery(&body.token, visitor.digest())
        .await?
    {
        Some(ceremony) => Ok(options(ceremony)),
        None => Err(not_a_passkey_recovery()),
    }
}

#[derive(Deserialize)]
struct RecoveryBody {
    #[serde(default)]
    token: String,
    ceremony: String,
    #[serde(default)]
    name: String,
    credential: serde_json::Value,
}

async fn recover(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientInfo,
    body: Bytes,
) -> Result<Response, WebError> {
    let body: RecoveryBody = json_body(&body)?;
    let browser = signin::browser(&visitor, None, "/account/passkeys", false);
    let started = state
        .signin
        .passkey_recovery(
            &body.token,
            visitor.digest(),
            &body.ceremony,
            &body.name,
            &body.credential,
            &client.meta(),
            browser,
        )
        .await?
        .ok_or_else(not_a_passkey_recovery)?;
    Ok(signin::signed_in_json(&state, started))
}

#[derive(Deserialize)]
struct SignUpStart {
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
}

async fn sign_up_options(
    State(state): State<AppState>,
    visitor: Visitor,
    body: Bytes,
) -> Result<Json<Options>, WebError> {
    if !state.settings.registration_open {
        return Err(super::register::closed());
    }
    let body: SignUpStart = json_body(&body)?;
    let ceremony = state
        .signin
        .start_passkey_sign_up(&body.username, &body.email, visitor.digest())
        .await?;
    Ok(options(ceremony))
}

#[derive(Deserialize)]
struct SignUpBody {
    ceremony: String,
    #[serde(default)]
    name: String,
    credential: serde_json::Value,
}

async fn sign_up(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientInfo,
    body: Bytes,
) -> Result<Response, WebError> {
    if !state.settings.registration_open {
        return Err(super::register::closed());
    }
    let body: SignUpBody = json_body(&body)?;
    let browser = signin::browser(&visitor, None, "/account", false);
    let started = state
        .signin
        .passkey_sign_up(
            visitor.digest(),
            &body.ceremony,
            &body.name,
            &body.credential,
            &client.meta(),
            browser,
        )
        .await?;
    Ok(signin::signed_in_json(&state, started))
}

async fn sign_in_options(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Json<Options>, WebError> {
    Ok(options(
        state.passkeys.start_sign_in(visitor.digest()).await?,
    ))
}

async fn sign_in(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientInfo,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let body: ProofBody = json_body(&body)?;
    let rd = super::login::safe_rd(&state, &body.rd);
    let target = rd
        .as_deref()
        .or_else(|| safe_local_path(&body.next))
        .unwrap_or("/account");
    let mark = signin::device_mark(&state, &headers);
    let browser = signin::browser(&visitor, mark.as_ref(), target, false);
    let started = state
        .signin
        .passkey(
            visitor.digest(),
            &body.ceremony,
            &body.credential,
            &client.meta(),
            browser,
        )
        .await?;
    Ok(signin::signed_in_json(&state, started))
}

/// The one answer to a second step or re-authentication the passkey did
/// not prove.
/// "The passkey was not accepted".
fn not_accepted() -> Words {
    Words::new(
        "error-passkey-not-accepted",
        "The passkey was not accepted. Try again.",
    )
}

async fn second_step_options(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Json<Options>, WebError> {
    match state
        .signin
        .start_passkey_second_factor(visitor.digest())
        .await?
    {
        Some(ceremony) => Ok(options(ceremony)),
        None => Err(WebError::Unauthorized(Words::new(
            "error-no-second-step",
            "There is no sign-in waiting for its second step: start again.",
        ))),
    }
}

#[derive(Deserialize)]
struct ProofBody {
    ceremony: String,
    credential: serde_json::Value,
    /// At `/reauth`: the password, which a passkey that did not verify its
    /// user needs beside it.
    #[serde(default)]
    password: Option<SecretString>,
    #[serde(default)]
    next: String,
    /// An application's address, from forward authentication (sign-in).
    #[serde(default)]
    rd: String,
}

async fn second_step(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientInfo,
    body: Bytes,
) -> Result<Response, WebError> {
    let body: ProofBody = json_body(&body)?;
    let step = state
        .signin
        .passkey_second_factor(
            visitor.digest(),
            &body.ceremony,
            &body.credential,
            &client.meta(),
        )
        .await?;
    match step {
        SecondStep::SignedIn(started) => Ok(signin::signed_in_json(&state, started)),
        SecondStep::WrongCode | SecondStep::NoChallenge => {
            Err(WebError::Unauthorized(not_accepted()))
        }
    }
}

async fn reauth_options(
    State(state): State<AppState>,
    visitor: Visitor,
    SignedIn(session): SignedIn,
) -> Result<Json<Options>, WebError> {
    let ceremony = state
        .signin
        .start_passkey_reauth(&session, visitor.digest())
        .await?;
    Ok(options(ceremony))
}

async fn reauth(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientInfo,
    SignedIn(session): SignedIn,
    body: Bytes,
) -> Result<Response, WebError> {
    let body: ProofBody = json_body(&body)?;
    let reproved = state
        .signin
        .reauthenticate_with_passkey(
            &session,
            visitor.digest(),
            PasskeyAnswer {
                ceremony: &body.ceremony,
                credential: &body.credential,
            },
            body.password,
            &client.meta(),
        )
        .await?;
    match reproved {
        Reproved::Proved(token) => Ok(signin::renewed_json(
            &state,
            &token,
            &super::reauth::target(&state, &body.next),
        )),
        Reproved::PasswordRequired => Err(WebError::Unauthorized(Words::new(
            "error-passkey-password-required",
            "This passkey did not ask for your PIN or fingerprint: type your password too, then confirm with the passkey again.",
        ))),
        Reproved::WrongPassword => Err(WebError::Unauthorized(Words::new(
            "error-passkey-wrong-password",
            "That is not your password. Type it again, then confirm with the passkey again.",
        ))),
        _ => Err(WebError::Unauthorized(not_accepted())),
    }
}
