//! The `memory-mesh` binary itself: configuration errors and the `migrate` command.

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
