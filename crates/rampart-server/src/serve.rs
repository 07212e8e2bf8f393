//! The HTTP listener: accepts connections and serves the router on each,
//! with the limits of the contract's "connections" row that `axum::serve`
//! does not give:
//!
//! - a client that has not sent its request headers within
//!   `header_timeout` (10 s) is disconnected (hyper's header-read timeout,
//!   which needs a timer and starts when the connection opens);
//! - a connection on which nothing was read or written for `idle_timeout`
//!   (60 s) is closed (an idle keep-alive connection; a watchdog per
//!   connection);
//! - at most `max_connections` (4096) are served at once: past that, new
//!   connections wait in the kernel's backlog until one closes.
//!
//! - with built-in HTTPS (`tls.rs`), a TLS handshake must finish within
//!   `header_timeout` too; HTTP/2 or HTTP/1.1 is chosen by ALPN (and a plain
//!   connection may speak HTTP/2 with prior knowledge).
//!
//! Shutdown stops accepting and lets open connections finish their requests.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// The connection limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A client must send its request headers within this long.
    pub header_timeout: Duration,
    /// A connection with no traffic for this long is closed.
    pub idle_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// A request not answered within this long (its body included) is
    /// answered 408.
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 4096,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// A stream that records when it last carried a byte either way.
struct Tracked {
    inner: TcpStream,
    opened: Instant,
    last: Arc<AtomicU64>,
}

impl Tracked {
    fn touch(&self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(ms, Ordering::Relaxed);
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.touch();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.touch();
        }
        polled
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then waits for
/// open connections to finish (the caller bounds that wait). With `tls`,
/// every connection first completes a TLS handshake within
/// `header_timeout` (one that never finishes is dropped, and holds its slot
/// only that long); HTTP/2 and HTTP/1.1 are then served by what ALPN chose.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    tokio::pin!(shutdown);
    loop {
        // A free slot first: past the cap, connections wait in the backlog.
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait, go on.
                    tracing::warn!(error = %err, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let peer = SocketAddr::new(peer.ip().to_canonical(), peer.port());
        let traffic = Traffic {
            opened: Instant::now(),
            last: Arc::new(AtomicU64::new(0)),
            requests: Arc::new(AtomicU64::new(0)),
            running: Arc::new(AtomicU64::new(0)),
            last_request: Arc::new(AtomicU64::new(0)),
        };
        let tracked = Tracked {
            inner: stream,
            opened: traffic.opened,
            last: traffic.last.clone(),
        };
        let (router, watcher, acceptor) = (router.clone(), graceful.watcher(), acceptor.clone());
        tokio::spawn(async move {
            let _slot = permit;
            match acceptor {
                None => {
                    drive(
                        TokioIo::new(tracked),
                        router,
                        peer,
                        limits,
                        traffic,
                        watcher,
                    )
                    .await
                }
                Some(acceptor) => {
                    let handshake =
                        tokio::time::timeout(limits.header_timeout, acceptor.accept(tracked)).await;
                    if let Ok(Ok(stream)) = handshake {
                        drive(TokioIo::new(stream), router, peer, limits, traffic, watcher).await;
                    }
                }
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// When a connection opened and last carried a byte (ms since it opened),
/// how many requests it has begun, how many are running, and when the last
/// one began or ended.
struct Traffic {
    opened: Instant,
    last: Arc<AtomicU64>,
    requests: Arc<AtomicU64>,
    running: Arc<AtomicU64>,
    last_request: Arc<AtomicU64>,
}

impl Traffic {
    fn millis(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// Counts a request as running until it is answered (or dropped).
struct Running {
    running: Arc<AtomicU64>,
    last_request: Arc<AtomicU64>,
    opened: Instant,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.running.fetch_sub(1, Ordering::Relaxed);
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_request.store(ms, Ordering::Relaxed);
    }
}

/// Serves one connection (plain or after its handshake) until it ends, its
/// first request is late, or it has been quiet for `idle_timeout`.
async fn drive<I>(
    io: TokioIo<I>,
    router: Router,
    peer: SocketAddr,
    limits: Limits,
    traffic: Traffic,
    watcher: hyper_util::server::graceful::Watcher,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (requests, running, last_request, opened) = (
        traffic.requests.clone(),
        traffic.running.clone(),
        traffic.last_request.clone(),
        traffic.opened,
    );
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        requests.fetch_add(1, Ordering::Relaxed);
        running.fetch_add(1, Ordering::Relaxed);
        let guard = Running {
            running: running.clone(),
            last_request: last_request.clone(),
            opened,
        };
        req.extensions_mut().insert(ConnectInfo(peer));
        let answer = router.clone().oneshot(req.map(axum::body::Body::new));
        async move {
            let _running = guard;
            answer.await
        }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    // HTTP/2 multiplies what one connection may ask for; these bound it
    // (hyper's defaults: 200 streams, 1 MiB windows).
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(64)
        .initial_stream_window_size(256 * 1024)
        .initial_connection_window_size(512 * 1024)
        .max_header_list_size(32 * 1024);
    let connection = watcher.watch(builder.serve_connection(io, service));
    tokio::pin!(connection);
    let mut watchdog = tokio::time::interval(limits.header_timeout.min(limits.idle_timeout) / 4);
    loop {
        tokio::select! {
            _ = &mut connection => break,
            _ = watchdog.tick() => {
                let now = traffic.millis();
                let since = |ms: &AtomicU64| Duration::from_millis(now.saturating_sub(ms.load(Ordering::Relaxed)));
                let open = traffic.opened.elapsed();
                // No byte either way for the idle timeout.
                let quiet = since(&traffic.last) >= limits.idle_timeout;
                // HTTP/1 has hyper's header-read timeout; this also covers
                // an HTTP/2 connection that never begins a request.
                let no_request = traffic.requests.load(Ordering::Relaxed) == 0
                    && open >= limits.header_timeout;
                // Nothing asked for the idle timeout: bytes alone (HTTP/2
                // PING, WINDOW_UPDATE, SETTINGS) do not keep a slot.
                let unused = traffic.running.load(Ordering::Relaxed) == 0
                    && since(&traffic.last_request) >= limits.idle_timeout;
                if quiet || no_request || unused {
                    // Dropping the connection closes the socket.
                    break;
                }
            }
        }
    }
}

/// The plain-HTTP listener's only answer (`redirect_http_listen`): a 308 to
/// the same path and query under the https base URL. The client's Host
/// header is never used, so the redirect cannot be pointed elsewhere.
pub fn redirect_router(base: url::Url) -> Router {
    let base = base.origin().ascii_serialization();
    Router::new().fallback(move |uri: axum::http::Uri| {
        let base = base.clone();
        async move {
            // Only a path stays (an absolute-form target gives its path;
            // `OPTIONS *` gives `/`).
            let path = uri
                .path_and_query()
                .map(|p| p.as_str())
                .filter(|p| p.starts_with('/'))
                .unwrap_or("/");
            let location = format!("{base}{path}");
            (
                axum::http::StatusCode::PERMANENT_REDIRECT,
                [(axum::http::header::LOCATION, location)],
            )
        }
    })
}
