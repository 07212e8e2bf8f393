//! `/account/language`: the language of the account's mails. It is first
//! the one the browser asked for when the account was made (or, for an
//! account an operator, an import or a directory made, at its first sign-in
//! on a page); afterwards only the owner changes it here, so whoever signs in
//! with a stolen password cannot choose the language of the alerts about it.

use crate::error::WebError;
use crate::extract::{HtmlForm, SignedIn, Visitor};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use rampart_core::Words;
use serde::{Deserialize, Serialize};

/// The language routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/account/language", get(show).post(choose))
}

#[derive(Serialize)]
struct Choice {
    tag: String,
    name: String,
    chosen: bool,
}

#[derive(Serialize)]
struct LanguagePage {
    csrf_token: String,
    languages: Vec<Choice>,
}

async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    SignedIn(session): SignedIn,
) -> Result<Response, WebError> {
    let current = match state.accounts.mail_language(session.user.id).await? {
        Some(language) => language,
        None => state.templates.negotiate(None),
    };
    let languages = state
        .templates
        .catalogues()
        .languages()
        .into_iter()
        .map(|(tag, name)| Choice {
            chosen: tag == current,
            tag,
            name,
        })
        .collect();
    Ok(state.templates.page(
        StatusCode::OK,
        "account_language.html",
        LanguagePage {
            csrf_token: visitor.csrf_token(&state.settings.csrf_key),
            languages,
        },
    ))
}

#[derive(Deserialize)]
struct LanguageForm {
    #[serde(default)]
    language: String,
}

async fn choose(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    HtmlForm(form): HtmlForm<LanguageForm>,
) -> Result<Response, WebError> {
    let known = state
        .templates
        .catalogues()
        .languages()
        .into_iter()
        .any(|(tag, _)| tag == form.language);
    if !known {
        return Err(WebError::Unprocessable(vec![Words::new(
            "error-language-unknown",
            "Choose one of the languages offered.",
        )]));
    }
    state
        .accounts
        .set_mail_language(session.user.id, &form.language)
        .await?;
    Ok(Redirect::to("/account").into_response())
}
