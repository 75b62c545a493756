//! `memory-mesh health` (a container's health check) and `memory-mesh backup <file>` (the
//! embedded default's database, copied while the server runs).

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr},
    path::Path,
    time::Duration,
};

use anyhow::Context;

use crate::{config::Settings, store};

/// Asks the server at `url` (by default this machine, at the configured port) for
/// `/v1/admin/health`: `Ok` when it answers 200 within 3 s.
pub async fn health(settings: &Settings, url: Option<String>) -> anyhow::Result<()> {
    let url = match url {
        Some(url) => url,
        None => {
            anyhow::ensure!(
                settings.port != 0,
                "MEMORY_PORT is 0 (a random port): name the server with --url"
            );
            // A server listening on every address answers on loopback.
            let host = match settings.host {
                IpAddr::V4(ip) if ip.is_unspecified() => Ipv4Addr::LOCALHOST.into(),
                IpAddr::V6(ip) if ip.is_unspecified() => Ipv6Addr::LOCALHOST.into(),
                ip => ip,
            };
            format!("http://{}", std::net::SocketAddr::new(host, settings.port))
        }
    };
    let probe = format!("{}/v1/admin/health", url.trim_end_matches('/'));
    // reqwest is built without a default TLS provider (see Cargo.toml); an https URL needs one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let response = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()?
        .get(&probe)
        .send()
        .await
        .with_context(|| format!("no answer from {probe}"))?;
    anyhow::ensure!(
        response.status().is_success(),
        "{probe} answered {}",
        response.status()
    );
    println!("{probe}: {}", response.status());
    Ok(())
}

/// Writes a consistent copy of the SQLite database to `file`, which must not exist.
pub async fn backup(settings: &Settings, file: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        !file.exists(),
        "{} exists: a backup never overwrites a file",
        file.display()
    );
    let db = store::connect(&settings.database).await?;
    store::backup_sqlite(&db, file).await?;
    let bytes = std::fs::metadata(file)
        .map(|m| m.len())
        .context("reading the backup's size")?;
    println!("backed up to {} ({bytes} bytes)", file.display());
    Ok(())
}
