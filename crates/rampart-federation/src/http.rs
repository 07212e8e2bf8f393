//! The HTTP client `openidconnect` uses: reqwest with rustls, redirects off
//! (a token endpoint that redirects is refused, not followed), a timeout,
//! and a cap on the answer's size.

use crate::SetupError;
use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

/// The most bytes read from a provider's answer.
const MAX_BODY: usize = 1 << 20;

/// A reqwest client for provider requests.
#[derive(Clone)]
pub struct ProviderHttp {
    client: reqwest::Client,
}

/// A provider request failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

impl ProviderHttp {
    /// A client trusting the Mozilla roots and `ca_file`.
    pub fn new(ca_file: Option<&Path>) -> Result<Self, SetupError> {
        let tls = crate::tls::client_config(ca_file)?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured((*tls).clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .user_agent("Rampart")
            .build()
            .map_err(|e| SetupError(e.to_string()))?;
        Ok(Self { client })
    }

    /// The underlying client (for user-info APIs).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let request = reqwest::Request::try_from(request).map_err(|e| HttpError(e.to_string()))?;
        let mut response = self
            .client
            .execute(request)
            .await
            .map_err(|e| HttpError(e.to_string()))?;
        let mut builder = http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| HttpError(e.to_string()))?
        {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(HttpError("the answer is too large".into()));
            }
            body.extend_from_slice(&chunk);
        }
        builder.body(body).map_err(|e| HttpError(e.to_string()))
    }
}

impl<'c> AsyncHttpClient<'c> for ProviderHttp {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}
