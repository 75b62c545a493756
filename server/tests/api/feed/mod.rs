//! The live feed (`/v1/ws/messages/{tenant_id}`), through a real WebSocket client: the client
//! helper here, the tests in [`delivery`], [`access`], [`cookie`] (the dashboard's session
//! cookie), [`pressure`] (limits: slow consumers, connections, shutdown, pings, frame budgets); streaming search in [`stream`].

pub mod access;
mod cookie;
mod delivery;
mod pressure;
mod stream;

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::http;
use tokio_tungstenite::{
    connect_async,
    tungstenite::{client::IntoClientRequest, Message},
    MaybeTlsStream, WebSocketStream,
};

/// A feed connection as a client holds it.
pub struct Feed {
    ws: WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>,
}

/// Opens `path` on the server at `base` (`http://…`) with extra headers; the HTTP status when
/// the upgrade is refused.
pub async fn try_connect(base: &str, path: &str, headers: &[(&str, &str)]) -> Result<Feed, u16> {
    let url = format!("{}{path}", base.replacen("http://", "ws://", 1));
    let mut request = url.into_client_request().unwrap();
    for (k, v) in headers {
        let name: http::HeaderName = k.parse().expect("a header name");
        request
            .headers_mut()
            .insert(name, v.parse().expect("a header value"));
    }
    match connect_async(request).await {
        Ok((ws, _)) => Ok(Feed { ws }),
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
        Err(e) => panic!("connecting to the feed: {e}"),
    }
}

/// A feed connection over a TCP socket whose receive buffer is `bytes` (set before connecting,
/// so the window stays small): a peer that can only take a little at a time.
pub async fn connect_small(base: &str, tenant: &str, token: &str, bytes: u32) -> Feed {
    let addr: std::net::SocketAddr = base.trim_start_matches("http://").parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(bytes).unwrap();
    let stream = socket.connect(addr).await.unwrap();
    let url = format!("ws://{addr}/v1/ws/messages/{tenant}");
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (ws, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream))
        .await
        .expect("the upgrade is accepted");
    Feed { ws }
}

pub async fn connect(base: &str, tenant: &str, token: &str) -> Feed {
    let auth = format!("Bearer {token}");
    try_connect(
        base,
        &format!("/v1/ws/messages/{tenant}"),
        &[("authorization", &auth)],
    )
    .await
    .expect("the upgrade is accepted")
}

/// What the server did next.
#[derive(Debug)]
pub enum Next {
    Frame(Value),
    Closed(u16, String),
}

impl Feed {
    pub async fn send(&mut self, frame: Value) {
        self.ws
            .send(Message::Text(frame.to_string().into()))
            .await
            .unwrap();
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::Text(text.into())).await.unwrap();
    }

    /// The next JSON frame or the close, within 10 s (pings are skipped).
    pub async fn next(&mut self) -> Next {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(11), self.ws.next())
                .await
                .expect("the server answers within 11 s");
            match msg {
                Some(Ok(Message::Text(t))) => {
                    return Next::Frame(serde_json::from_str(&t).unwrap())
                }
                Some(Ok(Message::Close(Some(c)))) => {
                    return Next::Closed(u16::from(c.code), c.reason.to_string())
                }
                Some(Ok(Message::Close(None))) | None => return Next::Closed(1005, String::new()),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Next::Closed(1006, e.to_string()),
            }
        }
    }

    pub async fn frame(&mut self) -> Value {
        match self.next().await {
            Next::Frame(v) => v,
            Next::Closed(code, reason) => panic!("closed ({code} {reason}) instead of a frame"),
        }
    }

    /// The close code, skipping frames until it comes.
    pub async fn close_code(&mut self) -> u16 {
        loop {
            if let Next::Closed(code, _) = self.next().await {
                return code;
            }
        }
    }

    /// The next `n` events (other frames are skipped).
    pub async fn events(&mut self, n: usize) -> Vec<Value> {
        let mut events = Vec::new();
        let mut others = Vec::new();
        while events.len() < n {
            let f = match tokio::time::timeout(Duration::from_secs(10), self.frame()).await {
                Ok(f) => f,
                Err(_) => panic!("{n} events expected; came: {events:#?}, and {others:?}"),
            };
            if f["type"] == "event" {
                events.push(f);
            } else {
                others.push(f);
            }
        }
        events
    }

    /// Sends a ping and waits for its pong: every frame sent before it has been read.
    pub async fn sync(&mut self) -> Vec<Value> {
        self.send(json!({"action": "ping"})).await;
        let mut before = Vec::new();
        loop {
            let f = self.frame().await;
            if f["type"] == "pong" {
                return before;
            }
            before.push(f);
        }
    }
}

pub fn names(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect()
}
