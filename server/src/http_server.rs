//! The HTTP server loop: accepts connections and serves the router on each with hyper's
//! HTTP/1.1 + HTTP/2 connection builder (WebSocket upgrades included).
//!
//! It exists because `axum::serve` gives hyper no timer, so hyper's header-read timeout never
//! fires: a client that trickles a request's headers (slowloris), or opens a connection and
//! sends nothing, holds it forever. Here every connection gets [`HttpSettings::header_timeout`]
//! for its headers (and as its keep-alive idle limit); slow bodies are bounded by the request
//! timeout layer. On shutdown it stops accepting and lets each connection finish its in-flight
//! requests, as `axum::serve`'s graceful shutdown does.

use std::{convert::Infallible, net::SocketAddr, pin::pin, time::Duration};

use axum::{body::Body, extract::ConnectInfo, Router};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto::Builder,
    service::TowerToHyperService,
};
use tokio::net::TcpListener;
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tower::ServiceExt;

use crate::config::HttpSettings;

/// Serves `router` on `listener` until `shutdown` is cancelled, then until every open
/// connection has finished its in-flight requests (the caller bounds that wait).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    settings: &HttpSettings,
    shutdown: CancellationToken,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_timeout);
    // HTTP/2 WebSockets need the CONNECT protocol.
    builder
        .http2()
        .timer(TokioTimer::new())
        .enable_connect_protocol()
        .keep_alive_interval(settings.header_timeout)
        .keep_alive_timeout(settings.header_timeout);
    let connections = TaskTracker::new();
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: retrying at once would spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let service = router
            .clone()
            .map_request(move |mut request: hyper::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request.map(Body::new)
            });
        let (builder, shutdown) = (builder.clone(), shutdown.clone());
        connections.spawn(async move {
            serve_connection(builder, TokioIo::new(stream), service, peer, shutdown).await
        });
    }
    drop(listener);
    connections.close();
    connections.wait().await;
}

/// Serves one connection; on shutdown it finishes the requests in flight and then closes.
async fn serve_connection<S>(
    builder: Builder<TokioExecutor>,
    io: TokioIo<tokio::net::TcpStream>,
    service: S,
    peer: SocketAddr,
    shutdown: CancellationToken,
) where
    S: tower::Service<
            hyper::Request<Incoming>,
            Response = axum::response::Response,
            Error = Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let mut connection =
        pin!(builder.serve_connection_with_upgrades(io, TowerToHyperService::new(service)));
    let served = tokio::select! {
        served = connection.as_mut() => served,
        _ = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = served {
        tracing::trace!(%peer, error = %e, "connection ended with an error");
    }
}
