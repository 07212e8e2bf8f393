//! Two-factor pages: the second sign-in step (`/login/mfa`, for a visitor
//! whose cookie holds a challenge) and the TOTP settings
//! (`/account/mfa/totp`: enrol, confirm, recovery codes, disable), which need
//! a fresh sign-in. The rules are `rampart_core::mfa`'s; these handlers only
//! translate.

use super::sessions::{Changed, offer_sign_out};
use crate::error::WebError;
use crate::extract::{ClientInfo, FreshSession, HtmlForm, Visitor};
use crate::signin;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use rampart_core::authn::{SecondStep, SignInError};
use rampart_core::mfa::{Enrolment, RecoveryCodes};
use rampart_core::{MfaError, Session, User};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// `/login/mfa` (public: the visitor is not signed in yet).
pub fn public() -> Router<AppState> {
    Router::new().route("/login/mfa", get(challenge_page).post(answer_challenge))
}

/// The TOTP settings (sign-in required).
pub fn protected() -> Router<AppState> {
    Router::new()
        .route("/account/mfa/totp", get(settings).post(confirm))
        .route("/account/mfa/totp/disable", post(disable))
        .route("/account/mfa/recovery-codes", post(regenerate))
}

const WRONG_CODE: &str = "error-wrong-code";

#[derive(Serialize)]
struct ChallengePage {
    csrf_token: String,
    error: Option<&'static str>,
    trust_days: Option<i64>,
    totp: bool,
    passkey: bool,
}

/// The second-step form for the visitor's challenge: the code field when
/// the account has TOTP, "Use a passkey" when it has a passkey; a 303 to
/// `/login` without a live challenge.
async fn challenge_form(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    error: Option<&'static str>,
) -> Result<Response, WebError> {
    let Some((_, user)) = state.mfa.pending(visitor.digest()).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let totp = state.mfa.is_enabled(user.id).await?;
    let passkey = state.passkeys.available() && state.signin.has_passkey(&user).await?;
    Ok(state.templates.page(
        status,
        "login_mfa.html",
        ChallengePage {
            csrf_token: visitor.csrf_token(&state.settings.csrf_key),
            error,
            trust_days: state
                .mfa
                .config()
                .remember_device_for
                .map(|d| d.whole_days()),
            // Without a passkey to offer (passkeys unavailable here), the
            // code field stays: the page always has a way forward.
            totp: totp || !passkey,
            passkey,
        },
    ))
}

async fn challenge_page(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, WebError> {
    challenge_form(&state, &visitor, StatusCode::OK, None).await
}

#[derive(Deserialize)]
struct CodeForm {
    code: SecretString,
    #[serde(default)]
    trust_device: String,
}

async fn answer_challenge(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientInfo,
    HtmlForm(form): HtmlForm<CodeForm>,
) -> Result<Response, WebError> {
    let step = state
        .signin
        .second_factor(
            visitor.digest(),
            form.code.expose_secret(),
            form.trust_device == "on",
            &client.meta(),
        )
        .await?;
    Ok(match step {
        SecondStep::SignedIn(started) => signin::signed_in(&state, started),
        SecondStep::WrongCode => {
            challenge_form(&state, &visitor, StatusCode::UNAUTHORIZED, Some(WRONG_CODE)).await?
        }
        SecondStep::NoChallenge => Redirect::to("/login").into_response(),
    })
}

#[derive(Serialize, Default)]
struct SettingsPage<'a> {
    csrf_token: String,
    username: &'a str,
    error: Option<&'static str>,
    enabled: bool,
    recovery_codes_left: i64,
    secret: Option<&'a str>,
    otpauth_uri: Option<&'a str>,
    qr_svg: Option<&'a str>,
    recovery_codes: Vec<&'a str>,
    offer_sign_out: bool,
}

fn base<'a>(state: &AppState, visitor: &Visitor, user: &'a User) -> SettingsPage<'a> {
    SettingsPage {
        csrf_token: visitor.csrf_token(&state.settings.csrf_key),
        username: user.username.as_str(),
        ..SettingsPage::default()
    }
}

fn enrolment_page(
    state: &AppState,
    visitor: &Visitor,
    user: &User,
    enrolment: &Enrolment,
    status: StatusCode,
    error: Option<&'static str>,
    offer_sign_out: bool,
) -> Response {
    state.templates.page(
        status,
        "mfa_totp.html",
        SettingsPage {
            error,
            offer_sign_out,
            secret: Some(enrolment.secret.as_str()),
            otpauth_uri: Some(enrolment.otpauth_uri.as_str()),
            qr_svg: Some(&enrolment.qr_svg),
            ..base(state, visitor, user)
        },
    )
}

/// The new recovery codes, after the factor was turned on or the codes
/// replaced (a factor change: other sessions may be signed out).
async fn codes_page(
    state: &AppState,
    visitor: &Visitor,
    session: &Session,
    codes: &RecoveryCodes,
) -> Result<Response, WebError> {
    let offer_sign_out = offer_sign_out(state, session, true).await?;
    Ok(state.templates.page(
        StatusCode::OK,
        "mfa_totp.html",
        SettingsPage {
            enabled: true,
            recovery_codes: codes.0.iter().map(|c| c.as_str()).collect(),
            offer_sign_out,
            ..base(state, visitor, &session.user)
        },
    ))
}

async fn status_page(
    state: &AppState,
    visitor: &Visitor,
    session: &Session,
    status: StatusCode,
    error: Option<&'static str>,
    offer_sign_out: bool,
) -> Result<Response, WebError> {
    let user = &session.user;
    let mfa = state.mfa.status(user.id).await?;
    Ok(state.templates.page(
        status,
        "mfa_totp.html",
        SettingsPage {
            error,
            enabled: mfa.enabled,
            recovery_codes_left: mfa.recovery_codes_left,
            offer_sign_out,
            ..base(state, visitor, user)
        },
    ))
}

async fn settings(
    State(state): State<AppState>,
    visitor: Visitor,
    FreshSession(session): FreshSession,
    Query(changed): Query<Changed>,
) -> Result<Response, WebError> {
    let user = &session.user;
    let offer = offer_sign_out(&state, &session, changed.factor()).await?;
    match state.mfa.begin_enrolment(user).await {
        Ok(enrolment) => Ok(enrolment_page(
            &state,
            &visitor,
            user,
            &enrolment,
            StatusCode::OK,
            None,
            offer,
        )),
        Err(MfaError::AlreadyEnabled) => {
            status_page(&state, &visitor, &session, StatusCode::OK, None, offer).await
        }
        Err(other) => Err(other.into()),
    }
}

async fn confirm(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientInfo,
    FreshSession(session): FreshSession,
    HtmlForm(form): HtmlForm<CodeForm>,
) -> Result<Response, WebError> {
    let user = &session.user;
    match state
        .mfa
        .confirm_enrolment(user, form.code.expose_secret(), &client.meta())
        .await
    {
        Ok(codes) => {
            state
                .signin
                .second_factor_enrolled(&session, rampart_core::authn::SecondFactor::Totp)
                .await?;
            codes_page(&state, &visitor, &session, &codes).await
        }
        Err(MfaError::InvalidCode) => {
            let enrolment = state.mfa.begin_enrolment(user).await?;
            Ok(enrolment_page(
                &state,
                &visitor,
                user,
                &enrolment,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("error-enrol-code"),
                false,
            ))
        }
        Err(MfaError::AlreadyEnabled) => Ok(Redirect::to("/account/mfa/totp").into_response()),
        Err(MfaError::NotEnrolled) => Ok(Redirect::to("/account/mfa/totp").into_response()),
        Err(other) => Err(other.into()),
    }
}

async fn regenerate(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientInfo,
    FreshSession(session): FreshSession,
) -> Result<Response, WebError> {
    let user = &session.user;
    match state.mfa.regenerate_codes(user, &client.meta()).await {
        Ok(codes) => codes_page(&state, &visitor, &session, &codes).await,
        Err(MfaError::NotEnrolled) => Ok(Redirect::to("/account/mfa/totp").into_response()),
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
struct DisableForm {
    password: SecretString,
}

async fn disable(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientInfo,
    FreshSession(session): FreshSession,
    HtmlForm(form): HtmlForm<DisableForm>,
) -> Result<Response, WebError> {
    let user = &session.user;
    match state
        .signin
        .turn_off_second_factor(user, form.password, &client.meta())
        .await
    {
        Ok(true) => {
            let back = format!("/account/mfa/totp{}", super::sessions::FACTOR_CHANGED);
            Ok(Redirect::to(&back).into_response())
        }
        Err(SignInError::SecondFactor(MfaError::NotEnrolled)) => {
            Ok(Redirect::to("/account/mfa/totp").into_response())
        }
        Ok(false) => {
            status_page(
                &state,
                &visitor,
                &session,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("error-disable-password"),
                false,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}
