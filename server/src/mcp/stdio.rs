//! `memory-mesh mcp`: MCP over stdin and stdout, for desktop agents and IDEs that start the
//! server themselves. When an instance is serving the same data directory, every message is
//! forwarded to its `/mcp` (rmcp's own transports on both sides); otherwise this process opens
//! the store itself — without embedding workers or the scheduler, so writes embed inline.

use std::sync::Arc;

use anyhow::Context;
use rmcp::{
    transport::{
        async_rw::AsyncRwTransport, streamable_http_client::StreamableHttpClientTransportConfig,
        StreamableHttpClientTransport, Transport,
    },
    RoleServer, ServiceExt,
};
use secrecy::{ExposeSecret, SecretString};

use super::tools::{Identity, MemoryTools};
use crate::{
    config::Settings,
    service::{self, Presented, Services},
    serving,
};

/// Serves MCP on stdio until the client closes it.
pub async fn run(settings: Settings, key: SecretString) -> anyhow::Result<()> {
    // reqwest is built without a default TLS provider (see Cargo.toml); install ring's.
    let _ = rustls::crypto::ring::default_provider().install_default();
    if let Some(url) = serving::find(&settings.data_dir).await {
        tracing::info!(%url, "forwarding MCP to the instance serving this data directory");
        return forward(&url, &key).await;
    }
    let svc = Services::open(settings).await?;
    service::authenticate(&svc, Presented::bearer(key.expose_secret()))
        .await
        .map_err(|e| anyhow::anyhow!("the MCP credential was refused: {e}"))?;
    let tools = MemoryTools::new(svc.clone(), Identity::Configured(Arc::new(key)));
    let running = tools
        .serve(rmcp::transport::stdio())
        .await
        .context("starting MCP on stdio")?;
    running.waiting().await.context("serving MCP on stdio")?;
    // No minute loop runs here to flush the searches' counts: flush them on the way out.
    if let Err(e) = service::search_stats::flush(&svc).await {
        tracing::warn!(error = %e, "could not record the session's search counts");
    }
    svc.tasks.close();
    svc.tasks.wait().await;
    Ok(())
}

enum Step<Up, Down> {
    Up(Option<Up>),
    Down(Option<Down>),
}

/// Relays the client's messages to `url`'s `/mcp` and its answers back, until either side ends.
async fn forward(url: &str, key: &SecretString) -> anyhow::Result<()> {
    // A refused key is said at start, as when serving from the store, rather than as the
    // relay's failure at the client's first message.
    let client = reqwest::Client::new();
    let checked = client
        .get(format!("{url}/v1/tenants"))
        .bearer_auth(key.expose_secret())
        .send()
        .await
        .with_context(|| format!("reaching the server at {url}"))?;
    anyhow::ensure!(
        checked.status() != reqwest::StatusCode::UNAUTHORIZED,
        "the MCP credential was refused by the server at {url}"
    );
    let config = StreamableHttpClientTransportConfig::with_uri(format!("{url}/mcp"))
        .auth_header(key.expose_secret().to_owned());
    let mut remote = StreamableHttpClientTransport::with_client(client, config);
    let (stdin, stdout) = rmcp::transport::stdio();
    let mut local = AsyncRwTransport::<RoleServer, _, _>::new_server(stdin, stdout);
    loop {
        let step = tokio::select! {
            up = local.receive() => Step::Up(up),
            down = remote.receive() => Step::Down(down),
        };
        match step {
            Step::Up(Some(message)) => remote.send(message).await.context("forwarding")?,
            Step::Down(Some(message)) => local.send(message).await.context("answering")?,
            Step::Up(None) | Step::Down(None) => break,
        }
    }
    let _ = remote.close().await;
    Ok(())
}
