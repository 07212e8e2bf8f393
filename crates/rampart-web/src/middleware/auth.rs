//! The sign-in requirement for every route outside the public list.

use crate::extract::Visitor;
use crate::extract::visitor::login_redirect;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

/// Sends anonymous visitors to the login page, with `next` set to where they
/// were going.
pub async fn require_sign_in(req: Request, next: Next) -> Response {
    let signed_in = req
        .extensions()
        .get::<Visitor>()
        .is_some_and(|v| v.session.is_some());
    if signed_in {
        next.run(req).await
    } else {
        login_redirect(req.uri().path_and_query().map_or("/", |p| p.as_str()))
    }
}
