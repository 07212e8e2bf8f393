//! `GET /setup?token=…` and `POST /setup`: the one-time link `rampart serve`
//! prints while no administrator exists creates the first one, who is then
//! signed in and sent to the admin console. The rules are
//! `rampart_core::setup`'s.

use crate::error::WebError;
use crate::extract::{ClientInfo, HtmlForm, Visitor};
use crate::routes::register::{Purpose, RegisterForm, form_page};
use crate::signin::start_session;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use rampart_core::Words;
use rampart_core::setup::SetupError;
use rampart_core::{RegisterError, Registration};
use serde::Deserialize;

/// The setup routes (public: nobody can sign in yet).
pub fn router() -> Router<AppState> {
    Router::new().route("/setup", get(show).post(submit))
}

#[derive(Deserialize)]
struct Link {
    #[serde(default)]
    token: String,
}

fn dead_link() -> WebError {
    WebError::BadRequest(Words::new(
        "error-setup-link",
        "This setup link is not valid any more: it was used, it expired (after an hour), or an administrator exists. Restart `rampart serve` for a new link, or use `rampart user create NAME --role admin`.",
    ))
}

async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(link): Query<Link>,
) -> Result<Response, WebError> {
    if !state
        .setup
        .is_live(&link.token)
        .await
        .map_err(WebError::internal)?
    {
        return Err(dead_link());
    }
    let purpose = Purpose::Setup(&link.token);
    Ok(form_page(
        &state,
        &visitor,
        purpose,
        StatusCode::OK,
        ("", ""),
        &[],
    ))
}

async fn submit(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientInfo,
    HtmlForm(form): HtmlForm<RegisterForm>,
) -> Result<Response, WebError> {
    let registration = Registration {
        username: form.username.clone(),
        email: form.email.clone(),
        password: form.password,
        password_confirm: Some(form.password_confirm),
        roles: Vec::new(),
    };
    let refused = |problems: &[rampart_core::FieldProblem]| {
        form_page(
            &state,
            &visitor,
            Purpose::Setup(&form.token),
            StatusCode::UNPROCESSABLE_ENTITY,
            (&form.username, &form.email),
            problems,
        )
    };
    match state
        .setup
        .complete(&form.token, registration, &client.meta())
        .await
    {
        Ok(user) => start_session(&state, &visitor, user, client, "/admin").await,
        Err(SetupError::InvalidLink) => Err(dead_link()),
        Err(SetupError::Register(RegisterError::Invalid(problems))) => Ok(refused(&problems)),
        Err(SetupError::Register(RegisterError::Conflict(problem))) => Ok(refused(&[problem])),
        Err(SetupError::Register(other)) => Err(other.into()),
        Err(SetupError::Store(err)) => Err(WebError::internal(err)),
    }
}
