//! `/account/tokens`: the account's personal access tokens (name, scopes,
//! expiry, last use), a form to create one (its secret shown once, on the
//! page that answers the form) and revocation. Creating a token needs a
//! fresh sign-in, as through the API.

use crate::error::WebError;
use crate::extract::{ClientInfo, FreshSession, HtmlForm, SignedIn, Visitor};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use rampart_core::Words;
use rampart_core::token::{TokenError, TokenId, TokenSummary};
use rampart_core::{Scope, User};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;

/// The token routes (sign-in required).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/tokens", get(list).post(create))
        .route("/account/tokens/revoke", post(revoke))
}

/// A token as its pages show it (the owner's list, the console).
#[derive(Serialize)]
pub(crate) struct Row {
    id: String,
    name: String,
    scopes: String,
    created_at: String,
    expires_at: String,
    last_used_at: String,
}

#[derive(Serialize)]
struct Choice {
    name: &'static str,
    /// The catalogue key of what the scope allows.
    help: &'static str,
}

#[derive(Serialize)]
struct TokensPage {
    csrf_token: String,
    tokens: Vec<Row>,
    scopes: Vec<Choice>,
    created: Option<String>,
    problems: Vec<rampart_core::Words>,
}

pub(crate) fn row(t: TokenSummary) -> Row {
    let time = |t: time::OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    Row {
        id: t.id.0,
        name: t.name,
        scopes: t
            .scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        created_at: time(t.created_at),
        expires_at: time(t.expires_at),
        last_used_at: t.last_used_at.map_or_else(|| "never".to_owned(), time),
    }
}

/// The scopes this account may give a token (`admin` only to staff).
fn choices(state: &AppState, user: &User) -> Vec<Choice> {
    Scope::ALL
        .into_iter()
        .filter(|s| *s != Scope::Admin || state.tokens.may_administer(user))
        .map(|s| Choice {
            name: s.as_str(),
            help: match s {
                Scope::ReadMe => "scope-read-me",
                Scope::WriteMe => "scope-write-me",
                Scope::Admin => "scope-admin",
                Scope::Proxy => "scope-proxy",
            },
        })
        .collect()
}

async fn page(
    state: &AppState,
    visitor: &Visitor,
    user: &User,
    status: StatusCode,
    created: Option<SecretString>,
    problems: Vec<rampart_core::Words>,
) -> Result<Response, WebError> {
    let tokens = state
        .tokens
        .list(user.id)
        .await
        .map_err(WebError::internal)?;
    Ok(state.templates.page(
        status,
        "tokens.html",
        TokensPage {
            csrf_token: visitor.csrf_token(&state.settings.csrf_key),
            tokens: tokens.into_iter().map(row).collect(),
            scopes: choices(state, user),
            created: created.map(|s| s.expose_secret().to_owned()),
            problems,
        },
    ))
}

async fn list(
    State(state): State<AppState>,
    visitor: Visitor,
    SignedIn(session): SignedIn,
) -> Result<Response, WebError> {
    page(
        &state,
        &visitor,
        &session.user,
        StatusCode::OK,
        None,
        Vec::new(),
    )
    .await
}

async fn create(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientInfo,
    FreshSession(session): FreshSession,
    HtmlForm(form): HtmlForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let scopes: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "scope")
        .map(|(_, v)| v.clone())
        .collect();
    let days = field("expires_in_days").trim().parse::<i64>().unwrap_or(0);
    let user = &session.user;
    match state
        .tokens
        .create(user, field("name"), &scopes, days, &client.meta())
        .await
    {
        Ok((secret, _)) => {
            page(
                &state,
                &visitor,
                user,
                StatusCode::OK,
                Some(secret),
                Vec::new(),
            )
            .await
        }
        Err(TokenError::Invalid(problems)) => {
            let problems = problems.into_iter().map(|p| p.words).collect();
            page(
                &state,
                &visitor,
                user,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                problems,
            )
            .await
        }
        Err(other) => Err(WebError::internal(other)),
    }
}

async fn revoke(
    State(state): State<AppState>,
    client: ClientInfo,
    SignedIn(session): SignedIn,
    HtmlForm(form): HtmlForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let id = form
        .iter()
        .find(|(k, _)| k == "token_id")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    match state
        .tokens
        .revoke(&session.user, &TokenId(id.to_owned()), &client.meta())
        .await
    {
        Ok(()) => Ok(Redirect::to("/account/tokens").into_response()),
        Err(TokenError::NotFound) => Err(WebError::BadRequest(Words::new(
            "error-token-unknown",
            "You have no token with this id; it may have been revoked already.",
        ))),
        Err(other) => Err(WebError::internal(other)),
    }
}
