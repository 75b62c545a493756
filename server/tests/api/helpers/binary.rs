//! The real `memory-mesh` binary as a child process: started on a random port with its log
//! collected, stopped with SIGTERM, and a user registered on it over HTTP.

use serde_json::{json, Value};

use super::PASSWORD;

/// The real `memory-mesh` binary, started by [`start_logged`]; its stdout and stderr (the log)
/// are collected line by line.
pub struct Logged {
    pub child: std::process::Child,
    pub url: String,
    pub lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// The threads reading stdout and stderr; they end with the pipes.
    readers: Vec<std::thread::JoinHandle<()>>,
}

/// The real binary, with none of the environment's `MEMORY_*` settings: only what the test
/// sets.
pub fn binary_command() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_memory-mesh"));
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("MEMORY_")) {
        command.env_remove(key);
    }
    command
}

impl super::TestApp {
    /// Runs `memory-mesh <args>` on this app's database, with the app's embedder, in a data
    /// directory of its own.
    pub fn cli<I, S>(&self, args: I) -> std::process::Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let dir = super::TempDir::new();
        binary_command()
            .current_dir(&dir.path)
            .args(args)
            .env(
                "MEMORY_DATABASE_URL",
                self.state.services.settings.database.url.expose(),
            )
            .env("MEMORY_DATA_DIR", &dir.path)
            .env("MEMORY_EMBEDDING_PROVIDER", "fake")
            .output()
            .unwrap()
    }
}

/// Starts the binary in `dir` (embedded default plus `envs`, no `MEMORY_*` of the environment
/// running the tests) on a random port. Reading both pipes to the end also keeps the server
/// from ever blocking on a full one.
pub fn start_logged(dir: &std::path::Path, envs: &[(&str, &str)]) -> Logged {
    use std::io::{BufRead, BufReader};
    let mut child = binary_command()
        .current_dir(dir)
        .env("MEMORY_PORT", "0")
        .envs(envs.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (url_tx, url_rx) = std::sync::mpsc::channel();
    let mut readers = Vec::with_capacity(2);
    for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let (lines, url_tx) = (lines.clone(), url_tx.clone());
        readers.push(std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if line.contains("running at") {
                    let url = line
                        .split_whitespace()
                        .find(|w| w.starts_with("http://"))
                        .map(str::to_owned);
                    let _ = url_tx.send(url);
                }
                lines.lock().unwrap().push(line);
            }
        }));
    }
    let url = url_rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .ok()
        .flatten()
        .expect("the server prints its URL");
    Logged {
        child,
        url,
        lines,
        readers,
    }
}

/// [`start_logged`] when the log does not matter: the child and its base URL.
pub fn start_binary(dir: &std::path::Path, envs: &[(&str, &str)]) -> (std::process::Child, String) {
    let server = start_logged(dir, envs);
    (server.child, server.url)
}

/// Sends SIGTERM to `child` and waits for it to exit; its exit status.
pub async fn sigterm(mut child: std::process::Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -TERM {pid}");
    tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap()
}

impl Logged {
    /// SIGTERM, then the whole log once the process has exited cleanly (status 0, no panic
    /// logged on the way).
    pub async fn stop(self) -> Vec<String> {
        let status = sigterm(self.child).await;
        assert!(status.success(), "a clean exit: {status:?}");
        let readers = self.readers;
        tokio::task::spawn_blocking(move || {
            for reader in readers {
                reader.join().expect("a log reader ends with its pipe");
            }
        })
        .await
        .unwrap();
        let lines = self.lines.lock().unwrap().clone();
        assert!(
            !lines.iter().any(|l| l.contains("panicked")),
            "no panic in the log:\n{}",
            lines.join("\n")
        );
        lines
    }
}

/// Registers `username` on a server at `url` (one not built in-process) and logs in; returns
/// the user's personal tenant and an access token.
pub async fn register_remote(
    client: &reqwest::Client,
    url: &str,
    username: &str,
) -> (String, String) {
    let email = format!("{username}@example.com");
    let r = client
        .post(format!("{url}/v1/auth/register"))
        .json(&json!({"email": email, "username": username, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let me: Value = r.json().await.unwrap();
    let tenant = me["tenants"][0]["tenant_id"].as_str().unwrap().to_owned();
    let tokens = login_remote(client, url, username).await;
    (tenant, tokens["access_token"].as_str().unwrap().to_owned())
}

/// Logs `username` (with the tests' password) in on a server at `url`: the token answer.
pub async fn login_remote(client: &reqwest::Client, url: &str, username: &str) -> Value {
    client
        .post(format!("{url}/v1/auth/login"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// GETs `path` as JSON from a server at `url` with `token`.
pub async fn get_remote(client: &reqwest::Client, url: &str, path: &str, token: &str) -> Value {
    client
        .get(format!("{url}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
