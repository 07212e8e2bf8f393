//! `/account/sessions`: where the user is signed in (device, IP, times,
//! "this session"), with sign-out of one session or all others.

use crate::error::WebError;
use crate::extract::ClientInfo;
use crate::extract::{FreshSession, HtmlForm, SignedIn, Visitor};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use rampart_core::Words;
use rampart_core::session::SessionId;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;

/// The session-management routes (sign-in required).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/sessions", get(list))
        .route("/account/sessions/revoke", post(revoke))
}

/// The name paired with the first marker of `names` that `ua` contains.
fn first_named(ua: &str, names: &[(&str, &'static str)]) -> Option<&'static str> {
    names
        .iter()
        .find(|(marker, _)| ua.contains(marker))
        .map(|(_, name)| *name)
}

/// A short description of the device behind a user agent, e.g. "Firefox on
/// Linux". Deliberately coarse: it helps people recognise their devices, it
/// is not a security signal.
pub fn describe_device(user_agent: Option<&str>) -> Words {
    let Some(ua) = user_agent.filter(|ua| !ua.is_empty()) else {
        return Words::new("device-unknown", "Unknown device");
    };
    let browser = first_named(
        ua,
        &[
            ("Edg/", "Edge"),
            ("OPR/", "Opera"),
            ("Firefox/", "Firefox"),
            ("Chromium/", "Chromium"),
            ("Chrome/", "Chrome"),
            ("Safari/", "Safari"),
            ("curl/", "curl"),
            ("reqwest", "reqwest"),
        ],
    );
    let system = first_named(
        ua,
        &[
            ("Android", "Android"),
            ("iPhone", "iPhone"),
            ("iPad", "iPad"),
            ("Windows", "Windows"),
            ("Mac OS X", "macOS"),
            ("CrOS", "ChromeOS"),
            ("Linux", "Linux"),
        ],
    );
    match (browser, system) {
        (Some(browser), Some(system)) => {
            Words::new("device-browser-on", format!("{browser} on {system}"))
                .with("browser", browser)
                .with("system", system)
        }
        (None, Some(system)) => Words::new("device-a-browser-on", format!("A browser on {system}"))
            .with("system", system),
        (Some(browser), None) => Words::new("device-browser", browser).with("browser", browser),
        (None, None) => Words::new("device-a-browser", "A browser"),
    }
}

#[derive(Serialize)]
struct Row {
    id: String,
    device: String,
    ip: String,
    created_at: String,
    last_seen_at: String,
    current: bool,
}

#[derive(Serialize)]
struct SessionsPage {
    csrf_token: String,
    sessions: Vec<Row>,
}

async fn list(
    State(state): State<AppState>,
    visitor: Visitor,
    SignedIn(session): SignedIn,
) -> Result<Response, WebError> {
    let sessions = state.sessions.list_for_user(session.user.id).await?;
    let lang = state.templates.language();
    let rows = sessions
        .into_iter()
        .map(|s| Row {
            current: s.session.id == session.id,
            device: state
                .templates
                .say_in(&lang, &describe_device(s.session.user_agent.as_deref())),
            ip: s.session.ip.clone().unwrap_or_default(),
            created_at: s.session.created_at.format(&Rfc3339).unwrap_or_default(),
            last_seen_at: s.last_seen_at.format(&Rfc3339).unwrap_or_default(),
            id: s.session.id.0,
        })
        .collect();
    Ok(state.templates.page(
        StatusCode::OK,
        "sessions.html",
        SessionsPage {
            csrf_token: visitor.csrf_token(&state.settings.csrf_key),
            sessions: rows,
        },
    ))
}

/// True when, `changed` (a sign-in factor of the account just changed),
/// the page should offer to end the account's other sessions: only when
/// there are some.
pub async fn offer_sign_out(
    state: &AppState,
    session: &rampart_core::Session,
    changed: bool,
) -> Result<bool, WebError> {
    if !changed {
        return Ok(false);
    }
    let sessions = state.sessions.list_for_user(session.user.id).await?;
    Ok(sessions.iter().any(|s| s.session.id != session.id))
}

/// The query of a page reached after a sign-in factor changed.
#[derive(Deserialize, Default)]
pub struct Changed {
    /// Present (`factor`) after the change.
    #[serde(default)]
    pub changed: Option<String>,
}

impl Changed {
    /// True when a factor changed.
    pub fn factor(&self) -> bool {
        self.changed.as_deref() == Some("factor")
    }
}

/// Where a page goes after a factor changed.
pub const FACTOR_CHANGED: &str = "?changed=factor";

#[derive(Deserialize)]
struct RevokeForm {
    #[serde(default)]
    session_id: String,
}

async fn revoke(
    State(state): State<AppState>,
    client: ClientInfo,
    // Ending sessions needs a recent sign-in (ASVS 7.5.2): whoever sits at
    // a stale session must not lock its owner out of every other device.
    FreshSession(session): FreshSession,
    HtmlForm(form): HtmlForm<RevokeForm>,
) -> Result<Response, WebError> {
    if form.session_id == "others" {
        state
            .sessions
            .revoke_all_except(&session.user, Some(&session.id), &client.meta())
            .await?;
    } else if form.session_id == session.id.0 {
        return Err(WebError::BadRequest(Words::new(
            "error-session-current",
            "To end this session, sign out instead.",
        )));
    } else if !state
        .sessions
        .revoke_by_id(
            &session.user,
            &SessionId(form.session_id.clone()),
            &client.meta(),
        )
        .await?
    {
        return Err(WebError::BadRequest(Words::new(
            "error-session-unknown",
            "You have no session with this id; it may have ended already.",
        )));
    }
    Ok(Redirect::to("/account/sessions").into_response())
}

#[cfg(test)]
mod tests {
    use super::describe_device;

    #[test]
    fn devices_are_recognisable() {
        assert_eq!(
            describe_device(Some(
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
            ))
            .english,
            "Firefox on Linux"
        );
        assert_eq!(
            describe_device(Some(
                "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/120 Safari/537.36 Edg/120"
            ))
            .english,
            "Edge on Windows"
        );
        assert_eq!(
            describe_device(Some(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"
            ))
            .english,
            "Safari on iPhone"
        );
        assert_eq!(describe_device(None).english, "Unknown device");
        assert_eq!(describe_device(Some("curl/8.0")).english, "curl");
        assert_eq!(
            describe_device(Some("Lynx on Linux")).english,
            "A browser on Linux"
        );
    }
}
