//! `application/x-www-form-urlencoded` bodies. axum's own rejections are
//! mapped to [`WebError`]s that name the problem (wrong encoding, too large,
//! missing or malformed field) instead of a bare status.

use crate::error::WebError;
use axum::extract::{Form, FromRequest, Request};
use axum::http::StatusCode;
use rampart_core::Words;
use serde::de::DeserializeOwned;

/// A parsed form body.
pub struct HtmlForm<T>(pub T);

impl<T, S> FromRequest<S> for HtmlForm<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Form::<T>::from_request(req, state).await {
            Ok(Form(value)) => Ok(HtmlForm(value)),
            Err(rejection) => Err(match rejection.status() {
                StatusCode::PAYLOAD_TOO_LARGE => WebError::PayloadTooLarge,
                StatusCode::UNSUPPORTED_MEDIA_TYPE => WebError::UnsupportedMediaType(Words::new(
                    "error-form-encoding",
                    "Send the form as application/x-www-form-urlencoded.",
                )),
                _ => WebError::Unprocessable(vec![
                    Words::new(
                        "error-form-unreadable",
                        format!(
                            "The form could not be read ({}). Reload the page and submit it again.",
                            rejection.body_text()
                        ),
                    )
                    .with("why", rejection.body_text()),
                ]),
            }),
        }
    }
}
