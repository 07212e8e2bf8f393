//! Administration: `GET /admin/events`, the audit trail with filters and
//! paging, for callers whose roles grant `audit:read` (and, for a personal
//! access token, with the `admin` scope); everyone else is refused with 403
//! `forbidden` by the route's [`Permit`]. The account routes are in
//! [`super::admin_users`].

use super::error::{ApiError, ErrorBody};
use super::extract::ApiCaller;
use super::me::rfc3339;
use crate::extract::Permit;
use crate::extract::permit::AuditRead;
use crate::state::AppState;
use axum::Json;
use axum::extract::{RawQuery, State};
use rampart_core::UserId;
use rampart_core::audit::EventQuery;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::{IntoParams, ToSchema};

/// One audit event.
#[derive(Serialize, ToSchema)]
pub struct Event {
    /// Identifier (pass as `before` for the next page).
    pub id: String,
    /// RFC 3339.
    pub time: String,
    /// Event type, e.g. `login.failed`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The account concerned.
    pub user_id: Option<String>,
    /// Its username at the time.
    pub username: Option<String>,
    /// Client address.
    pub ip: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
    /// `success` or `failure`.
    pub outcome: String,
    /// Further facts (never a secret).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// Filters of the event listing.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct EventFilters {
    /// A username or user id.
    #[param(inline, value_type = Option<super::schema::PlainText>)]
    user: Option<String>,
    /// An event type, e.g. `login.failed`.
    #[param(rename = "type", inline, value_type = Option<super::schema::PlainText>)]
    kind: Option<String>,
    /// RFC 3339: events at or after this time.
    #[param(format = DateTime)]
    since: Option<String>,
    /// An event id: events older than it (the next page).
    #[param(inline, value_type = Option<super::schema::PlainText>)]
    before: Option<String>,
    /// 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

async fn parse_filters(state: &AppState, raw: Option<&str>) -> Result<EventQuery, ApiError> {
    let mut query = EventQuery {
        limit: 100,
        ..EventQuery::default()
    };
    for (key, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let value = value.into_owned();
        if !super::schema::is_plain(&value) {
            return Err(ApiError::problem(
                &key,
                "Control characters are not allowed in a filter.",
            ));
        }
        match key.as_ref() {
            // An account's events by its id or its username, whichever the
            // event recorded; a name no account has still finds the events
            // recorded under it (failed sign-ins).
            "user" => match UserId::parse(&value) {
                Some(id) => {
                    query.username = state
                        .admin
                        .by_id(id)
                        .await
                        .ok()
                        .flatten()
                        .map(|found| found.user.username.as_str().to_owned());
                    query.user_id = Some(id);
                }
                None => {
                    query.user_id = state.admin.find(&value).await.ok().map(|u| u.id);
                    query.username = Some(value);
                }
            },
            "type" => query.kind = Some(value),
            "since" => {
                // RFC 3339's date-time: `T` (or `t`) between date and time
                // (the parser would take any byte there).
                let separated = matches!(value.as_bytes().get(10), Some(b'T' | b't'));
                let parsed = OffsetDateTime::parse(&value, &Rfc3339)
                    .ok()
                    .filter(|_| separated);
                query.since = Some(parsed.ok_or(()).map_err(|()| {
                    ApiError::problem(
                        "since",
                        "Give an RFC 3339 time such as 2026-01-31T12:00:00Z.",
                    )
                })?)
            }
            "before" => query.before = Some(value),
            "limit" => match super::extract::whole(&value) {
                Some(n) if (1..=1000).contains(&n) => query.limit = n,
                _ => {
                    return Err(ApiError::problem(
                        "limit",
                        "Give a whole number from 1 to 1000.",
                    ));
                }
            },
            other => {
                return Err(ApiError::problem(
                    other,
                    "Unknown filter; use user, type, since, before or limit.",
                ));
            }
        }
    }
    Ok(query)
}

/// The audit trail, newest first.
#[utoipa::path(
    get, path = "/admin/events", tag = "admin",
    security(("bearer" = [])),
    params(EventFilters),
    responses(
        (status = 200, description = "Events, newest first", body = [Event]),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "forbidden: the caller's roles do not grant audit:read", body = ErrorBody),
        (status = 422, description = "A filter is invalid", body = ErrorBody),
    )
)]
pub async fn list_events(
    State(state): State<AppState>,
    _permit: Permit<AuditRead, ApiCaller>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<Event>>, ApiError> {
    let query = parse_filters(&state, raw.as_deref()).await?;
    let events = state.accounts.audit().events(query).await?;
    Ok(Json(
        events
            .into_iter()
            .map(|e| Event {
                id: e.id,
                time: rfc3339(e.at),
                kind: e.kind,
                user_id: e.user_id.map(|id| id.to_string()),
                username: e.username,
                ip: e.ip,
                user_agent: e.user_agent,
                outcome: e.outcome,
                details: e.details,
            })
            .collect(),
    ))
}
