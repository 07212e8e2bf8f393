//! The account page's "Ways to sign in": the identities linked to the
//! account (OIDC providers, the LDAP directory), links to add a provider,
//! and `POST /account/identities/unlink` (fresh sign-in required; refused
//! when it would leave the account no way to sign in).

use crate::error::WebError;
use crate::extract::{ClientInfo, FreshSession, HtmlForm};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use rampart_core::User;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;

/// The unlink route.
pub fn router() -> Router<AppState> {
    Router::new().route("/account/identities/unlink", post(unlink))
}

/// One linked identity, as the account page shows it.
#[derive(Serialize)]
pub struct IdentityView {
    source: String,
    subject: String,
    name: String,
    email: Option<String>,
    last_used_at: String,
}

/// A provider the account could link.
#[derive(Serialize)]
pub struct LinkView {
    id: String,
    name: String,
}

/// What the account page shows about sign-in methods.
#[derive(Serialize)]
pub struct SignInMethods {
    identities: Vec<IdentityView>,
    can_link: Vec<LinkView>,
}

/// The linked identities of `user`, and the providers not yet linked.
pub async fn sign_in_methods(state: &AppState, user: &User) -> Result<SignInMethods, WebError> {
    let linked = state.identities.list(user.id).await?;
    let identities: Vec<IdentityView> = linked
        .iter()
        .map(|i| IdentityView {
            name: state
                .providers
                .name_of_source(&i.source)
                .map(str::to_owned)
                .unwrap_or_else(|| {
                    if i.source == "ldap" {
                        state.templates.say(&rampart_core::Words::new(
                            "identity-ldap",
                            "The company directory (LDAP)",
                        ))
                    } else {
                        i.source.clone()
                    }
                }),
            source: i.source.clone(),
            subject: i.subject.clone(),
            email: i.email.clone(),
            last_used_at: i.last_used_at.format(&Rfc3339).unwrap_or_default(),
        })
        .collect();
    let can_link = state
        .providers
        .buttons()
        .into_iter()
        .filter(|(id, _)| {
            !identities
                .iter()
                .any(|i| i.source.strip_prefix("oidc:") == Some(id.as_str()))
        })
        .map(|(id, name)| LinkView { id, name })
        .collect();
    Ok(SignInMethods {
        identities,
        can_link,
    })
}

#[derive(Deserialize)]
struct UnlinkForm {
    #[serde(default)]
    source: String,
    #[serde(default)]
    subject: String,
}

async fn unlink(
    State(state): State<AppState>,
    client: ClientInfo,
    FreshSession(session): FreshSession,
    HtmlForm(form): HtmlForm<UnlinkForm>,
) -> Result<Response, WebError> {
    state
        .identities
        .unlink(&session.user, &form.source, &form.subject, &client.meta())
        .await?;
    let back = format!("/account{}", super::sessions::FACTOR_CHANGED);
    Ok(Redirect::to(&back).into_response())
}
