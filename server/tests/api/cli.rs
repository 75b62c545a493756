//! The `memory-mesh` binary itself: configuration errors, `migrate`, `health` and `backup`.

use sea_orm::ConnectionTrait;

use crate::helpers::*;

#[test]
fn a_bad_setting_stops_start_up_with_a_message_naming_it() {
    let dir = TempDir::new();
    let output = binary_command()
        .current_dir(&dir.path)
        .env("MEMORY_GLOBAL_RATE_LIMIT", "many")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("MEMORY_GLOBAL_RATE_LIMIT"), "{stderr}");
}

#[test]
fn production_refuses_to_start_with_a_weak_secret_or_wildcard_cors() {
    let dir = TempDir::new();
    for (key, env) in [
        (
            "MEMORY_JWT_SECRET_KEY",
            vec![("MEMORY_JWT_SECRET_KEY", "short")],
        ),
        (
            "MEMORY_ALLOWED_ORIGINS",
            vec![
                (
                    "MEMORY_JWT_SECRET_KEY",
                    "a-very-long-and-random-secret-value-1234",
                ),
                ("MEMORY_ALLOWED_ORIGINS", "*"),
            ],
        ),
    ] {
        let output = binary_command()
            .current_dir(&dir.path)
            .env("MEMORY_ENVIRONMENT", "production")
            .envs(env)
            .output()
            .unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(key), "{stderr}");
        assert!(
            !stderr.contains("short"),
            "the secret itself is never printed"
        );
    }
}

#[test]
fn migrate_status_lists_every_migration_as_applied_after_migrate_up() {
    let dir = TempDir::new();
    let run = |args: &[&str]| {
        binary_command()
            .current_dir(&dir.path)
            .args(args)
            .output()
            .unwrap()
    };
    let up = run(&["migrate", "up"]);
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    assert!(
        dir.path.join("data/memory-mesh.db").exists(),
        "the embedded default"
    );
    let status = run(&["migrate", "status"]);
    let stdout = String::from_utf8_lossy(&status.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    use migration::MigratorTrait;
    assert_eq!(
        lines.len(),
        migration::Migrator::migrations().len(),
        "{stdout}"
    );
    assert!(lines.iter().all(|l| l.starts_with("Applied")), "{stdout}");
    let down = run(&["migrate", "down"]);
    assert!(down.status.success());
    let status = run(&["migrate", "status"]);
    let stdout = String::from_utf8_lossy(&status.stdout);
    assert!(
        stdout.lines().last().unwrap().starts_with("Pending"),
        "{stdout}"
    );
}

#[tokio::test]
async fn health_exits_zero_for_a_live_server_and_not_for_a_silent_port() {
    let dir = TempDir::new();
    let (mut server, url) = start_binary(&dir.path, &[("MEMORY_EMBEDDING_PROVIDER", "fake")]);
    let port = url.rsplit(':').next().unwrap().to_owned();
    // As a container's health check runs it: the settings name the port.
    let probe = binary_command()
        .current_dir(&dir.path)
        .args(["health"])
        .env("MEMORY_PORT", &port)
        .output()
        .unwrap();
    assert!(probe.status.success(), "{probe:?}");
    assert!(String::from_utf8_lossy(&probe.stdout).contains("200"));
    server.kill().unwrap();
    server.wait().unwrap();
    let dead = binary_command()
        .current_dir(&dir.path)
        .args(["health", "--url", &url])
        .output()
        .unwrap();
    assert!(!dead.status.success());
    assert!(
        String::from_utf8_lossy(&dead.stderr).contains("no answer"),
        "{dead:?}"
    );
}

#[tokio::test]
async fn backup_copies_a_running_embedded_database_that_a_server_then_serves() {
    let app = spawn_app(Backend::Sqlite).await;
    let ada = app.register_and_login("ada", None).await;
    let before = store(
        &app,
        &ada.access_token,
        "trip",
        "user",
        "kept in the backup",
    )
    .await;
    let dir = TempDir::new();
    let copy = dir.path.join("backup.db");
    let out = app.cli([std::ffi::OsStr::new("backup"), copy.as_os_str()]);
    assert!(out.status.success(), "{out:?}");
    store(
        &app,
        &ada.access_token,
        "trip",
        "user",
        "written after the backup",
    )
    .await;
    // A backup never overwrites.
    let again = app.cli([std::ffi::OsStr::new("backup"), copy.as_os_str()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));
    // The copy is sound, and a server started on it serves what was there at the backup.
    let check = sea_orm::Database::connect(format!("sqlite://{}?mode=ro", copy.display()))
        .await
        .unwrap();
    let row = check
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "ok");
    check.close().await.unwrap();
    let database = format!("sqlite://{}", copy.display());
    let (mut restored, url) = start_binary(
        &dir.path,
        &[
            ("MEMORY_EMBEDDING_PROVIDER", "fake"),
            ("MEMORY_DATABASE_URL", &database),
        ],
    );
    let client = http_client();
    let tokens = login_remote(&client, &url, "ada").await;
    let token = tokens["access_token"].as_str().expect("ada signs in");
    let page = get_remote(&client, &url, "/v1/conversations/trip/messages", token).await;
    let contents: Vec<&str> = page["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("{page}"))
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["kept in the backup"], "{page}");
    assert_eq!(page["messages"][0]["id"], before["id"]);
    restored.kill().unwrap();
    restored.wait().unwrap();
}

#[tokio::test]
async fn backup_on_postgresql_points_to_pg_dump() {
    let app = spawn_app(Backend::Postgres).await;
    let dir = TempDir::new();
    let out = app.cli([
        std::ffi::OsStr::new("backup"),
        dir.path.join("x.db").as_os_str(),
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("pg_dump"),
        "{out:?}"
    );
    assert!(!dir.path.join("x.db").exists());
}
