//! Fault drills against the real binary: the embedded default's disk filling up, `kill -9`
//! under sustained ingest with a subscriber that resumes, and clients that send too slowly.
//! (Database and Redis outages: `contract.rs`; provider faults: `providers.rs`.)

use std::{process::Command, time::Duration};

use serde_json::{json, Value};

use crate::helpers::{get_remote, http_client, register_remote, start_logged, TempDir};

/// Rate limits out of the way: these drills send as fast as they can.
const UNLIMITED_TENANT: (&str, &str) = ("MEMORY_TENANT_RATE_LIMIT", "1000000/minute");
const UNLIMITED_IP: (&str, &str) = ("MEMORY_GLOBAL_RATE_LIMIT", "1000000/minute");

/// A tmpfs of `size` mounted on a fresh directory, unmounted on drop; it holds the data
/// directory so the test can fill the disk and then give it room again.
struct SmallDisk {
    dir: TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Self {
        let dir = TempDir::new();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir.path)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "mounting a small tmpfs needs root (CAP_SYS_ADMIN), as on the test machines"
        );
        Self { dir }
    }

    fn grow(&self, size: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.dir.path)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir.path).status();
    }
}

/// `PRAGMA integrity_check` and the number of stored messages of a SQLite file.
async fn check_file(path: &std::path::Path) -> (String, i64) {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let db = Database::connect(format!("sqlite://{}?mode=ro", path.display()))
        .await
        .unwrap();
    let one = |sql: &str| Statement::from_string(db.get_database_backend(), sql.to_owned());
    let row = db
        .query_one_raw(one("PRAGMA integrity_check"))
        .await
        .unwrap()
        .unwrap();
    let verdict: String = row.try_get_by_index(0).unwrap();
    let row = db
        .query_one_raw(one("SELECT COUNT(*) FROM messages"))
        .await
        .unwrap()
        .unwrap();
    (verdict, row.try_get_by_index(0).unwrap())
}

#[tokio::test]
async fn a_full_disk_refuses_writes_with_507_keeps_reads_and_recovers() {
    let disk = SmallDisk::mount("4m");
    let server = start_logged(
        &disk.dir.path,
        &[
            ("MEMORY_DATA_DIR", disk.dir.path.to_str().unwrap()),
            ("MEMORY_EMBEDDING_PROVIDER", "fake"),
            UNLIMITED_TENANT,
            UNLIMITED_IP,
        ],
    );
    let (url, client) = (server.url.clone(), http_client());
    let (_, token) = register_remote(&client, &url, "alice").await;
    let write = |i: usize| {
        let body = json!({"conversation_id": "c", "role": "user",
            "content": format!("filling the disk, message {i}: {}", "lorem ipsum ".repeat(700))});
        client
            .post(format!("{url}/v1/messages"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };

    let mut acknowledged = 0;
    let refused = loop {
        let r = write(acknowledged).await.unwrap();
        if r.status() != 201 {
            break r;
        }
        acknowledged += 1;
        assert!(acknowledged < 5000, "4 MB never filled up");
    };
    assert!(acknowledged > 0, "the first write already failed");
    assert_eq!(refused.status(), 507);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "insufficient_storage", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("no space"), "{message}");

    // Reads go on: every acknowledged message is there, and search answers.
    let c = get_remote(&client, &url, "/v1/conversations/c", &token).await;
    assert_eq!(c["message_count"], acknowledged, "{c}");
    let found: Value = get_remote(
        &client,
        &url,
        "/v1/memory/search?query=filling%20the%20disk&top_k=5",
        &token,
    )
    .await;
    assert_eq!(found["items"].as_array().unwrap().len(), 5, "{found}");

    // Room again: writes resume without a restart.
    disk.grow("64m");
    let r = write(acknowledged).await.unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    server.stop().await;

    println!("{acknowledged} writes acknowledged before the disk filled; writes resumed on the first try after it grew");
    let (verdict, stored) = check_file(&disk.dir.path.join("memory-mesh.db")).await;
    assert_eq!(verdict, "ok");
    assert_eq!(stored, acknowledged as i64 + 1);
}

/// Every message of conversation `c`, following `next_cursor` page by page.
async fn all_messages(client: &reqwest::Client, url: &str, token: &str) -> Vec<Value> {
    let mut messages = Vec::new();
    let mut path = "/v1/conversations/c/messages?page_size=100".to_owned();
    loop {
        let page = get_remote(client, url, &path, token).await;
        messages.extend(page["messages"].as_array().expect("a page").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("/v1/conversations/c/messages?page_size=100&cursor={cursor}")
            }
            None => return messages,
        }
    }
}

/// How many times each text occurs.
fn times_each<'a>(
    texts: impl Iterator<Item = &'a str>,
) -> std::collections::HashMap<&'a str, usize> {
    let mut counts = std::collections::HashMap::new();
    for t in texts {
        *counts.entry(t).or_default() += 1;
    }
    counts
}

/// Reads `message.created` events until the socket ends: (event id, content) in order.
async fn created_until_closed(mut feed: crate::feed::Feed) -> Vec<(String, String)> {
    let mut seen = Vec::new();
    while let crate::feed::Next::Frame(f) = feed.next().await {
        if f["type"] == "event" && f["event"] == "message.created" {
            let id = f["id"].as_str().unwrap().to_owned();
            seen.push((id, f["data"]["content"].as_str().unwrap().to_owned()));
        }
    }
    seen
}

#[tokio::test]
async fn kill_9_under_sustained_async_ingest_loses_no_acknowledged_write_or_event() {
    const WRITERS: usize = 4;
    const BEFORE_KILL: usize = 1000;
    let dir = TempDir::new();
    let envs = [
        ("MEMORY_EMBEDDING_PROVIDER", "fake"),
        ("MEMORY_EMBEDDING_MODE", "async"),
        ("MEMORY_JOB_WORKERS", "1"),
        UNLIMITED_TENANT,
        UNLIMITED_IP,
    ];
    let server = start_logged(&dir.path, &envs);
    let (url, client) = (server.url.clone(), http_client());
    let (tenant, token) = register_remote(&client, &url, "alice").await;
    let mut feed = crate::feed::connect(&url, &tenant, &token).await;
    feed.sync().await;
    let subscriber = tokio::spawn(created_until_closed(feed));

    // Writers post until the server dies under them; each keeps what was acknowledged.
    let acknowledged = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (enough_tx, mut enough) = tokio::sync::mpsc::channel::<()>(1);
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (client, url, token) = (client.clone(), url.clone(), token.clone());
            let (acknowledged, enough_tx) = (acknowledged.clone(), enough_tx.clone());
            tokio::spawn(async move {
                let mut mine = Vec::new();
                for i in 0.. {
                    let content = format!("writer {w} message {i}");
                    let body = json!({"conversation_id": "c", "role": "user", "content": content});
                    let sent = client
                        .post(format!("{url}/v1/messages"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status() == 202 => mine.push(content),
                        Ok(r) => panic!("{}: {}", r.status(), r.text().await.unwrap()),
                        Err(_) => return mine, // the server was killed mid-request
                    }
                    if acknowledged.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1
                        == BEFORE_KILL
                    {
                        let _ = enough_tx.try_send(());
                    }
                }
                unreachable!()
            })
        })
        .collect();
    enough.recv().await.unwrap();
    let mut child = server.child;
    child.kill().unwrap(); // SIGKILL while the writers are still sending
    child.wait().unwrap();
    let mut written = Vec::new();
    for w in writers {
        written.extend(w.await.unwrap());
    }
    let before = subscriber.await.unwrap();
    assert!(written.len() >= BEFORE_KILL);

    let restarted = std::time::Instant::now();
    let server = start_logged(&dir.path, &envs);
    let url = server.url.clone();
    // Every acknowledged message is stored exactly once and gets embedded.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let stored = loop {
        let stored = all_messages(&client, &url, &token).await;
        if stored.iter().all(|m| m["embedding_status"] == "completed") {
            break stored;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not all embedded after the restart"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    println!(
        "{} acknowledged before kill -9, {} stored; all embedded {:?} after the restart began",
        written.len(),
        stored.len(),
        restarted.elapsed()
    );
    let counts = times_each(stored.iter().map(|m| m["content"].as_str().unwrap()));
    assert!(counts.values().all(|&n| n == 1), "a message stored twice");
    let missing: Vec<_> = written
        .iter()
        .filter(|c| !counts.contains_key(c.as_str()))
        .collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");

    // The subscriber resumes from the last event it saw and gets every other one, once.
    let last = before.last().map(|(id, _)| id.clone()).unwrap_or_default();
    let auth = format!("Bearer {token}");
    let mut feed = crate::feed::try_connect(
        &url,
        &format!("/v1/ws/messages/{tenant}?last_event_id={last}"),
        &[("authorization", &auth)],
    )
    .await
    .unwrap();
    let mut delivered: Vec<String> = before.into_iter().map(|(_, c)| c).collect();
    loop {
        let f = feed.frame().await;
        if f["type"] == "resumed" {
            break;
        }
        if f["type"] == "event" && f["event"] == "message.created" {
            delivered.push(f["data"]["content"].as_str().unwrap().to_owned());
        }
    }
    let delivered_counts = times_each(delivered.iter().map(String::as_str));
    assert!(
        delivered_counts.values().all(|&n| n == 1),
        "an event delivered twice"
    );
    let undelivered: Vec<_> = written
        .iter()
        .filter(|c| !delivered_counts.contains_key(c.as_str()))
        .collect();
    assert!(undelivered.is_empty(), "never delivered: {undelivered:?}");
    server.stop().await;
}

/// A raw connection that sends `head`, then (when `trickle`) one more byte every 200 ms, and
/// reads until the server ends it: what it answered (if anything) and after how long.
async fn stalled_client(addr: String, head: &'static str, trickle: bool) -> (String, Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let started = std::time::Instant::now();
    write.write_all(head.as_bytes()).await.unwrap();
    let trickler = tokio::spawn(async move {
        while trickle && write.write_all(b"a").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        write // kept open (not half-closed) until the server ends the connection
    });
    let mut answer = Vec::new();
    // A bound far beyond the 1 s settings, only so a regression fails instead of hanging.
    tokio::time::timeout(Duration::from_secs(60), read.read_to_end(&mut answer))
        .await
        .expect("the server ends a stalled connection")
        .ok(); // a reset is an end too
    let took = started.elapsed();
    trickler.abort();
    (String::from_utf8_lossy(&answer).into_owned(), took)
}

#[tokio::test]
async fn slow_clients_are_cut_off_without_starving_others() {
    let dir = TempDir::new();
    let server = start_logged(
        &dir.path,
        &[
            ("MEMORY_EMBEDDING_PROVIDER", "fake"),
            ("MEMORY_HEADER_TIMEOUT_SECONDS", "1"),
            ("MEMORY_REQUEST_TIMEOUT_SECONDS", "1"),
            UNLIMITED_IP,
        ],
    );
    let (url, client) = (server.url.clone(), http_client());
    let addr = url.trim_start_matches("http://").to_owned();
    const HEADERS: &str = "GET /v1/admin/health HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    const BODY: &str = "POST /v1/auth/login HTTP/1.1\r\nHost: x\r\n\
        Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"username\": \"";
    let mut stalled = Vec::new();
    for i in 0..200 {
        let (head, kind) = if i % 2 == 0 {
            (HEADERS, "headers")
        } else {
            (BODY, "body")
        };
        let client = tokio::spawn(stalled_client(addr.clone(), head, i % 4 < 2));
        stalled.push((kind, client));
    }
    // Meanwhile everyone else is served as usual.
    let (_, token) = register_remote(&client, &url, "alice").await;
    for _ in 0..20 {
        let me = get_remote(&client, &url, "/v1/auth/me", &token).await;
        assert_eq!(me["username"], "alice");
    }

    let mut slowest = Duration::ZERO;
    for (kind, client) in stalled {
        let (answer, took) = client.await.unwrap();
        slowest = slowest.max(took);
        match kind {
            // Headers never completed: the connection is closed (hyper may say 408 first).
            "headers" => assert!(
                answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
                "{answer}"
            ),
            // A body that never arrives: the request times out with the JSON envelope.
            _ => {
                assert!(answer.starts_with("HTTP/1.1 504"), "{answer}");
                assert!(answer.contains("\"code\""), "{answer}");
            }
        }
    }
    println!("200 stalled connections all cut off, the last after {slowest:?} (settings: 1 s)");
    server.stop().await;
}
