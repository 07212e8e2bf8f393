//! Middleware that looks at a request on its way in and changes its
//! response on its way out, both without waiting, and calls the service
//! below it in place. axum's `from_fn` instead clones the service below it
//! for every request, and a clone of a chain of routes costs an allocation
//! a link (docs/benchmarks.md, #20): the error pages and the request timer
//! wrap every page, so they use this.

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tower::{Layer, Service};

/// What a middleware does around a request.
pub trait Around: Clone + Send + Sync + 'static {
    /// What it keeps of the request for the response.
    type Seen: Send + 'static;
    /// Looks at the request before the service below it gets it.
    fn before(&self, request: &Request) -> Self::Seen;
    /// Changes the response of the request it saw.
    fn after(&self, seen: Self::Seen, response: Response) -> Response;
}

/// The layer of an [`Around`].
#[derive(Clone)]
pub struct AroundLayer<A>(pub A);

impl<S, A: Clone> Layer<S> for AroundLayer<A> {
    type Service = AroundService<S, A>;

    fn layer(&self, inner: S) -> Self::Service {
        AroundService {
            inner,
            around: self.0.clone(),
        }
    }
}

/// The service an [`AroundLayer`] makes.
#[derive(Clone)]
pub struct AroundService<S, A> {
    inner: S,
    around: A,
}

impl<S, A> Service<Request> for AroundService<S, A>
where
    S: Service<Request, Error = Infallible>,
    S::Response: IntoResponse,
    S::Future: Send + 'static,
    A: Around,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let seen = self.around.before(&request);
        let response = self.inner.call(request);
        let around = self.around.clone();
        Box::pin(async move {
            let response = response.await?.into_response();
            Ok(around.after(seen, response))
        })
    }
}
