//! Accepting connections and timing them out (the connection half of [`crate::limits`]).
//!
//! `axum::serve` has no header, idle or connection limits, so the server runs its own accept
//! loop over hyper's HTTP/1.1 connection:
//! - a semaphore of [`ServerLimits::max_connections`] permits is taken *before* `accept`, so
//!   beyond the cap new connections wait in the kernel's backlog rather than cost a socket;
//! - each connection has a [`Watch`]: its reads and its requests in progress tell the
//!   connection's task when the header timeout (from accepting, or from the first byte of a
//!   later request) or the keep-alive idle timeout (from the end of the last response) falls
//!   due, and the task then closes the socket. hyper's own header timeout is not used: it runs
//!   from the end of the last response, so it would close idle connections at the header
//!   timeout instead of the (longer) idle timeout;
//! - every request body is wrapped in a timeout on the pause between its pieces
//!   ([`ServerLimits::request_body_timeout`]; [`crate::body`] turns it into a 408).
//!
//! HTTP/1.1 only: no client of the API speaks cleartext HTTP/2 (browsers do not), and not
//! serving it keeps its separate set of resource limits out of the picture.
//!
//! On shutdown the loop stops accepting, every connection is told to finish its request in
//! progress and close, and [`serve`] waits up to [`SHUTDOWN_GRACE`] for them (an event stream
//! never finishes by itself).

use axum::body::{Body, Bytes};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tower::ServiceExt;

use crate::limits::ServerLimits;

/// How long shutdown waits for connections to finish their requests in progress.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` under `limits` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: ServerLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    assert!(limits.max_connections > 0, "a server needs one connection");
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            permit = slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
        };
        let stream = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
        };
        tokio::spawn(serve_connection(
            stream,
            router.clone(),
            limits,
            stop_rx.clone(),
            permit,
        ));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let everyone = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(SHUTDOWN_GRACE, slots.acquire_many(everyone))
        .await
        .is_err()
    {
        tracing::warn!(
            open = limits.max_connections - slots.available_permits(),
            "connections still open after the shutdown grace; closing them"
        );
    }
    Ok(())
}

/// A failed `accept` is about one connection (reset before it was accepted) or about the
/// process (out of file descriptors): the latter is logged and waited out, never fatal.
async fn accept_failed(error: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused
    ) {
        return;
    }
    tracing::error!(%error, "cannot accept a connection; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Why a connection was closed by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expiry {
    HeaderTimeout,
    IdleTimeout,
}

impl Expiry {
    fn label(self) -> &'static str {
        match self {
            Expiry::HeaderTimeout => "header-timeout",
            Expiry::IdleTimeout => "idle-timeout",
        }
    }
}

/// Where a connection is in its life, for its timeouts.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for a request's headers since `since`. On a kept-alive connection the header
    /// timeout runs from `head_started` (the first byte), the idle timeout until then.
    AwaitingHead {
        since: Instant,
        kept_alive: bool,
        head_started: Option<Instant>,
    },
    /// Requests received whose responses are not yet fully sent.
    Busy { in_flight: usize },
}

/// A connection's phase, shared by its reads, its requests and its task.
struct Watch {
    phase: Mutex<Phase>,
    /// Told when a deadline may have moved earlier (the task re-reads it).
    changed: Notify,
}

impl Watch {
    fn new() -> Watch {
        Watch {
            phase: Mutex::new(Phase::AwaitingHead {
                since: Instant::now(),
                kept_alive: false,
                head_started: None,
            }),
            changed: Notify::new(),
        }
    }

    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// When the connection is to be closed, and why; `None` while a request is in progress.
    fn deadline(&self, limits: &ServerLimits) -> Option<(Instant, Expiry)> {
        match *self.phase() {
            Phase::Busy { .. } => None,
            Phase::AwaitingHead {
                since,
                kept_alive: false,
                ..
            } => Some((since + limits.header_read_timeout, Expiry::HeaderTimeout)),
            Phase::AwaitingHead {
                head_started: Some(started),
                ..
            } => Some((started + limits.header_read_timeout, Expiry::HeaderTimeout)),
            Phase::AwaitingHead { since, .. } => {
                Some((since + limits.keep_alive_idle_timeout, Expiry::IdleTimeout))
            }
        }
    }

    fn bytes_read(&self) {
        let mut phase = self.phase();
        if let Phase::AwaitingHead {
            kept_alive: true,
            head_started: head_started @ None,
            ..
        } = &mut *phase
        {
            *head_started = Some(Instant::now());
            drop(phase);
            self.changed.notify_one();
        }
    }

    fn request_started(&self) {
        let mut phase = self.phase();
        *phase = match *phase {
            Phase::Busy { in_flight } => Phase::Busy {
                in_flight: in_flight + 1,
            },
            Phase::AwaitingHead { .. } => Phase::Busy { in_flight: 1 },
        };
    }

    fn request_finished(&self) {
        let mut phase = self.phase();
        if let Phase::Busy { in_flight } = *phase {
            *phase = if in_flight > 1 {
                Phase::Busy {
                    in_flight: in_flight - 1,
                }
            } else {
                Phase::AwaitingHead {
                    since: Instant::now(),
                    kept_alive: true,
                    head_started: None,
                }
            };
        }
        drop(phase);
        self.changed.notify_one();
    }
}

/// A request in progress, until its response is fully sent (or abandoned).
struct InFlight(Arc<Watch>);

impl InFlight {
    fn start(watch: Arc<Watch>) -> InFlight {
        watch.request_started();
        InFlight(watch)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

/// A response body that holds its request's [`InFlight`] until hyper drops it, sent.
struct InFlightBody {
    body: Body,
    _in_flight: InFlight,
}

impl http_body::Body for InFlightBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// The socket, telling the [`Watch`] when bytes arrive.
struct WatchedStream {
    stream: TcpStream,
    watch: Arc<Watch>,
}

impl AsyncRead for WatchedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.watch.bytes_read();
        }
        result
    }
}

impl AsyncWrite for WatchedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Serves one connection until it closes, times out or the server stops; `_slot` is its
/// place under the connection cap, given back when this returns.
async fn serve_connection(
    stream: TcpStream,
    router: axum::Router,
    limits: ServerLimits,
    mut stop: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    metrics::gauge!("deconflict_connections").increment(1.0);
    let watch = Arc::new(Watch::new());
    let io = TokioIo::new(WatchedStream {
        stream,
        watch: watch.clone(),
    });
    let service = {
        let watch = watch.clone();
        hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let in_flight = InFlight::start(watch.clone());
            let timeout = limits.request_body_timeout;
            let request =
                request.map(|body| Body::new(tower_http::timeout::TimeoutBody::new(timeout, body)));
            let router = router.clone();
            async move {
                let response = router.oneshot(request).await?;
                Ok::<_, Infallible>(response.map(|body| InFlightBody {
                    body,
                    _in_flight: in_flight,
                }))
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    // Timed by the Watch instead (see the module's documentation).
    builder.header_read_timeout(None);
    let connection = builder.serve_connection(io, service);
    let mut connection = std::pin::pin!(connection);
    let mut stopping = false;
    if *stop.borrow_and_update() {
        stopping = true;
        connection.as_mut().graceful_shutdown();
    }
    loop {
        let deadline = watch.deadline(&limits);
        let expired = async {
            match deadline {
                Some((at, _)) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
                break;
            }
            () = expired => {
                if let Some((at, why)) = watch.deadline(&limits) {
                    if at <= Instant::now() {
                        tracing::debug!(reason = why.label(), "connection closed");
                        metrics::counter!("deconflict_connections_closed_total", "reason" => why.label())
                            .increment(1);
                        break;
                    }
                }
            }
            () = watch.changed.notified() => {}
            _ = stop.changed(), if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
    metrics::gauge!("deconflict_connections").decrement(1.0);
}

/// Raises this process's soft limit on open files to its hard limit (each connection is a
/// file descriptor; the usual soft limit, 1,024, is below the default connection cap plus the
/// database's files). Returns the soft limit now in force.
#[cfg(unix)]
#[allow(clippy::unnecessary_cast)] // rlim_t is not u64 on every unix
pub fn raise_open_files_limit() -> std::io::Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit reads the rlimit it is given.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            return Ok(raised.rlim_cur as u64);
        }
    }
    Ok(limit.rlim_cur as u64)
}

/// Elsewhere the limit is left as it is.
#[cfg(not(unix))]
pub fn raise_open_files_limit() -> std::io::Result<u64> {
    Ok(u64::MAX)
}
