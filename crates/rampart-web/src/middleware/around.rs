//! Middleware that looks at a request on its way in and changes its
//! response on its way out, both without waiting, and calls the service
//! below it in place. axum's `from_fn` instead clones the service below it
//! for every request, and a clone of a chain of routes costs an allocation
//! a link (docs/benchmarks.md, #20): the error pages and the request timer
//! wrap every page, so they use this. Its future is a named type, so a
//! request passing it allocates nothing either.

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
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
    type Future = AroundFuture<S::Future, A, A::Seen>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let seen = self.around.before(&request);
        AroundFuture {
            inner: self.inner.call(request),
            after: Some((self.around.clone(), seen)),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response of an [`AroundService`]: the service's below, then
    /// [`Around::after`].
    pub struct AroundFuture<F, A, Seen> {
        #[pin]
        inner: F,
        after: Option<(A, Seen)>,
    }
}

impl<F, R, A> Future for AroundFuture<F, A, A::Seen>
where
    F: Future<Output = Result<R, Infallible>>,
    R: IntoResponse,
    A: Around,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = ready!(this.inner.poll(cx))?.into_response();
        Poll::Ready(Ok(match this.after.take() {
            Some((around, seen)) => around.after(seen, response),
            // Polled again after it answered (a caller's mistake): the
            // response as it is, never a panic.
            None => response,
        }))
    }
}
