//! How a serving instance announces itself in its data directory: `serving.json` holds its
//! local URL and process id while it runs, so that `memory-mesh mcp` on the same data forwards
//! to it instead of opening the database beside it (two processes would each run their own
//! scheduler and limiter on one SQLite file).

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    path::{Path, PathBuf},
    time::Duration,
};

use serde::{Deserialize, Serialize};

const FILE: &str = "serving.json";

#[derive(Debug, Serialize, Deserialize)]
struct Serving {
    url: String,
    pid: u32,
}

/// Removes the announcement when the server stops.
pub struct Announcement {
    path: PathBuf,
}

impl Drop for Announcement {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The URL a process on this machine reaches a server bound to `bound` at.
pub fn local_url(bound: SocketAddr) -> String {
    let ip = match bound.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, bound.port()))
}

/// Writes `serving.json` into `data_dir` until the returned guard is dropped.
pub fn announce(data_dir: &Path, url: &str) -> std::io::Result<Announcement> {
    std::fs::create_dir_all(data_dir)?;
    let path = data_dir.join(FILE);
    let serving = Serving {
        url: url.to_owned(),
        pid: std::process::id(),
    };
    let body = serde_json::to_vec(&serving).map_err(std::io::Error::other)?;
    // Written whole under another name, then renamed: a reader never sees half a file.
    let partial = data_dir.join(format!("{FILE}.{}", std::process::id()));
    std::fs::write(&partial, body)?;
    std::fs::rename(&partial, &path)?;
    Ok(Announcement { path })
}

/// The URL of the instance serving `data_dir`, if one is running and answers its health check.
pub async fn find(data_dir: &Path) -> Option<String> {
    let body = std::fs::read(data_dir.join(FILE)).ok()?;
    let serving: Serving = serde_json::from_slice(&body).ok()?;
    let pid = rustix::process::Pid::from_raw(i32::try_from(serving.pid).ok()?)?;
    rustix::process::test_kill_process(pid).ok()?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .ok()?;
    let health = client
        .get(format!("{}/v1/admin/health", serving.url))
        .send()
        .await
        .ok()?;
    health.status().is_success().then_some(serving.url)
}
