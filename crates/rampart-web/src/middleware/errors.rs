//! Turns error statuses into pages rendered with the site's templates: a
//! [`WebError`](crate::error::WebError) attaches an [`ErrorPage`]; bare 4xx/5xx
//! responses from the router (404, 405) get a generic one.

use super::around::Around;
use crate::error::ErrorPage;
use crate::state::AppState;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rampart_core::Words;
use serde::Serialize;

#[derive(Serialize)]
struct ErrorContext {
    title: String,
    message: String,
}

fn generic(status: StatusCode) -> ErrorPage {
    let ((title_key, title), (key, message)) = match status {
        StatusCode::NOT_FOUND => (
            ("error-title-page-not-found", "Page not found"),
            (
                "error-page-not-found",
                "There is no page at this address. Check the link, or go back to the start.",
            ),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            ("error-title-method", "Method not allowed"),
            (
                "error-method",
                "This address does not accept that kind of request. Use the site's own links and forms.",
            ),
        ),
        StatusCode::REQUEST_TIMEOUT => (
            ("error-title-timeout", "Request timed out"),
            ("error-timeout", "The request took too long. Try again."),
        ),
        _ => (
            ("error-title-failed", "Request failed"),
            (
                "error-failed",
                "The request could not be completed. Go back and try again.",
            ),
        ),
    };
    ErrorPage {
        title: Words::new(title_key, title),
        message: vec![Words::new(key, message)],
    }
}

/// Renders error pages: a page in the site's templates, or under `/api/v1`
/// the API's JSON format.
#[derive(Clone)]
pub struct ErrorPages(pub AppState);

impl Around for ErrorPages {
    /// Whether the request was for the API.
    type Seen = bool;

    fn before(&self, request: &Request) -> bool {
        crate::api::is_api_path(request.uri().path())
    }

    fn after(&self, api: bool, response: Response) -> Response {
        if api {
            crate::api::bare_error_as_json(response)
        } else {
            render_error_page(&self.0, response)
        }
    }
}

/// `response`, rendered as an error page when it is one.
fn render_error_page(state: &AppState, response: Response) -> Response {
    let status = response.status();
    let page = match response.extensions().get::<ErrorPage>() {
        Some(page) => page.clone(),
        None if (status.is_client_error() || status.is_server_error())
            && !response.headers().contains_key(header::CONTENT_TYPE) =>
        {
            generic(status)
        }
        None => return response,
    };
    let chrome = response
        .extensions()
        .get::<crate::render::ChromeSource>()
        .cloned();
    let (mut parts, _) = response.into_parts();
    let render = || {
        let templates = &state.templates;
        let lang = templates.language();
        let message: Vec<String> = page
            .message
            .iter()
            .map(|w| templates.say_in(&lang, w))
            .collect();
        templates.page(
            status,
            "error.html",
            ErrorContext {
                title: templates.say_in(&lang, &page.title),
                message: message.join(" "),
            },
        )
    };
    // The header of the page the request reached (signed in or not).
    let rendered = match chrome {
        Some(chrome) => crate::render::with_chrome_now(chrome, render),
        None => render(),
    };
    let (rendered_parts, body) = rendered.into_parts();
    parts.headers.extend(rendered_parts.headers);
    Response::from_parts(parts, body)
}

/// The response for a handler that panicked (the panic itself is a bug, and
/// is logged by the tracing layer as a 500).
pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    response.extensions_mut().insert(ErrorPage {
        title: Words::new("error-title-internal", "Something went wrong"),
        message: vec![Words::new(
            "error-internal",
            "Something went wrong on our side. Try again in a moment; if it keeps happening, tell the site's operator.",
        )],
    });
    response
}
