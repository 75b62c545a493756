use super::*;

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn with_data_dir(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let dir = std::env::temp_dir().join(format!("mm-config-{}", uuid::Uuid::new_v4().simple()));
    let mut v = vars(pairs);
    v.push(("MEMORY_DATA_DIR".into(), dir.display().to_string()));
    v
}

#[test]
fn no_configuration_gives_the_embedded_default() {
    let s = Settings::from_vars(&with_data_dir(&[])).unwrap();
    assert_eq!(s.environment, Environment::Development);
    assert_eq!(s.port, 8000);
    assert!(s.database.url.expose().starts_with("sqlite://"));
    assert!(s.database.url.expose().ends_with("memory-mesh.db?mode=rwc"));
    assert!(s.redis_url.is_none());
    assert_eq!(s.embedding.provider, EmbeddingProviderKind::Local);
    assert_eq!(s.embedding.dimensions, 384);
    assert_eq!(s.global_rate_limit.limit, 200);
    assert_eq!(s.tenant_rate_limit.limit, 120);
    assert!(s.auth.jwt_secret_generated);
    assert_eq!(
        (s.database.max_connections, s.database.min_connections),
        (20, 8)
    );
}

#[test]
fn the_pool_keeps_open_no_more_connections_than_it_may_have() {
    let s =
        Settings::from_vars(&with_data_dir(&[("MEMORY_DATABASE_MAX_CONNECTIONS", "3")])).unwrap();
    assert_eq!(s.database.min_connections, 3);
    let s =
        Settings::from_vars(&with_data_dir(&[("MEMORY_DATABASE_MIN_CONNECTIONS", "2")])).unwrap();
    assert_eq!(s.database.min_connections, 2);
}

#[test]
fn generated_jwt_secret_is_stable_across_loads() {
    let v = with_data_dir(&[]);
    let a = Settings::from_vars(&v).unwrap();
    let b = Settings::from_vars(&v).unwrap();
    assert_eq!(
        a.auth.jwt_secret.expose_secret(),
        b.auth.jwt_secret.expose_secret()
    );
    assert!(a.auth.jwt_secret.expose_secret().len() >= MIN_PRODUCTION_SECRET_LEN);
}

#[test]
fn a_bad_value_names_its_variable() {
    for (key, value) in [
        ("MEMORY_PORT", "eighty"),
        ("MEMORY_PORT", "70000"),
        ("MEMORY_DATABASE_MIN_CONNECTIONS", "0"),
        ("MEMORY_GLOBAL_RATE_LIMIT", "lots"),
        ("MEMORY_TENANT_RATE_LIMIT", "10/fortnight"),
        ("MEMORY_DATABASE_URL", "mysql://x"),
        ("MEMORY_EMBEDDING_PROVIDER", "magic"),
        ("MEMORY_RETENTION_IMPORTANCE_THRESHOLD", "1.5"),
        ("MEMORY_ENVIRONMENT", "prodution"),
        ("MEMORY_ALLOWED_ORIGINS", "example.com"),
        ("MEMORY_HOST", "localhost:80"),
        ("MEMORY_RANKING_SIMILARITY_WEIGHT", "-1"),
        ("MEMORY_RANKING_HALF_LIFE_HOURS", "0"),
        ("MEMORY_IMPORTANCE_ROLE_WEIGHT", "NaN"),
    ] {
        let err = Settings::from_vars(&with_data_dir(&[(key, value)])).unwrap_err();
        assert_eq!(err.key, key, "{key}={value} gave {err}");
        assert!(err.to_string().contains(key));
    }
}

#[test]
fn production_refuses_missing_short_or_placeholder_secrets() {
    for secret in [None, Some("short"), Some("your-secure-random-key-here")] {
        let mut v = vec![("MEMORY_ENVIRONMENT", "production")];
        if let Some(s) = secret {
            v.push(("MEMORY_JWT_SECRET_KEY", s));
        }
        let err = Settings::from_vars(&with_data_dir(&v)).unwrap_err();
        assert_eq!(err.key, "MEMORY_JWT_SECRET_KEY");
    }
}

#[test]
fn production_refuses_a_wildcard_origin_and_the_fake_embedder() {
    let secret = "0123456789abcdef0123456789abcdef0123";
    let err = Settings::from_vars(&with_data_dir(&[
        ("MEMORY_ENVIRONMENT", "production"),
        ("MEMORY_JWT_SECRET_KEY", secret),
        ("MEMORY_ALLOWED_ORIGINS", "https://a.example, *"),
    ]))
    .unwrap_err();
    assert_eq!(err.key, "MEMORY_ALLOWED_ORIGINS");
    let err = Settings::from_vars(&with_data_dir(&[
        ("MEMORY_ENVIRONMENT", "production"),
        ("MEMORY_JWT_SECRET_KEY", secret),
        ("MEMORY_EMBEDDING_PROVIDER", "fake"),
    ]))
    .unwrap_err();
    assert_eq!(err.key, "MEMORY_EMBEDDING_PROVIDER");
    let ok = Settings::from_vars(&with_data_dir(&[
        ("MEMORY_ENVIRONMENT", "production"),
        ("MEMORY_JWT_SECRET_KEY", secret),
        ("MEMORY_ALLOWED_ORIGINS", "https://a.example/"),
    ]))
    .unwrap();
    assert_eq!(ok.allowed_origins, vec!["https://a.example"]);
    assert_eq!(ok.log_format, LogFormat::Json);
}

#[test]
fn the_originals_database_urls_are_accepted() {
    let s = Settings::from_vars(&with_data_dir(&[(
        "MEMORY_DATABASE_URL",
        "postgresql+asyncpg://u:p@db/memory",
    )]))
    .unwrap();
    assert_eq!(s.database.url.expose(), "postgres://u:p@db/memory");
    assert!(s.database.is_postgres());
    let s = Settings::from_vars(&with_data_dir(&[(
        "MEMORY_DATABASE_URL",
        "sqlite+aiosqlite:///./x.db",
    )]))
    .unwrap();
    assert_eq!(s.database.url.expose(), "sqlite://./x.db?mode=rwc");
}

#[test]
fn urls_print_without_passwords() {
    let r = Redacted::new("postgres://me:hunter2@db:5432/x".into());
    assert_eq!(r.to_string(), "postgres://me:***@db:5432/x");
    assert!(!format!("{r:?}").contains("hunter2"));
    assert_eq!(
        Redacted::new("redis://127.0.0.1:6379/0".into()).to_string(),
        "redis://127.0.0.1:6379/0"
    );
}

#[test]
fn unknown_memory_variables_are_reported() {
    let s = Settings::from_vars(&with_data_dir(&[("MEMORY_JWT_SECRET", "x")])).unwrap();
    assert_eq!(s.unknown_keys, vec!["MEMORY_JWT_SECRET"]);
}

#[test]
fn rates_parse_in_the_originals_format() {
    let r: Rate = "200/minute".parse().unwrap();
    assert_eq!((r.limit, r.window.as_secs()), (200, 60));
    let r: Rate = "5/seconds".parse().unwrap();
    assert_eq!((r.limit, r.window.as_secs()), (5, 1));
    assert!("0/minute".parse::<Rate>().is_err());
}

#[test]
fn every_setting_read_is_a_known_key() {
    // A key read but not listed would be reported as unknown when it is set.
    let dir = std::env::temp_dir().join(format!("mm-config-{}", uuid::Uuid::new_v4().simple()));
    let read = std::cell::RefCell::new(Vec::new());
    let get = |key: &str| {
        read.borrow_mut().push(key.to_owned());
        (key == "MEMORY_DATA_DIR").then(|| dir.display().to_string())
    };
    super::parse::build(&get, &[]).expect("the defaults are valid");
    let read = read.into_inner();
    assert!(read.len() > 40, "{read:?}");
    for key in read {
        assert!(
            KNOWN_KEYS.contains(&key.as_str()),
            "{key} is read but not in KNOWN_KEYS"
        );
    }
}

#[test]
fn read_replicas_need_postgres_urls_beside_a_postgres_primary() {
    let pg = "postgres://u:p@db:5432/m";
    let s = Settings::from_vars(&with_data_dir(&[
        ("MEMORY_DATABASE_URL", pg),
        (
            "MEMORY_DATABASE_READ_URLS",
            "postgres://u:p@r1/m, postgresql://u:p@r2/m",
        ),
    ]))
    .unwrap();
    assert_eq!(s.database.read_urls.len(), 2);
    assert_eq!(s.database.read_after_write.as_millis(), 5000);
    for (primary, replicas) in [
        ("sqlite://x.db", "postgres://u:p@r1/m"),
        (pg, "sqlite://y.db"),
        (pg, "postgres://u:p@r1/m,mysql://r2"),
    ] {
        let err = Settings::from_vars(&with_data_dir(&[
            ("MEMORY_DATABASE_URL", primary),
            ("MEMORY_DATABASE_READ_URLS", replicas),
        ]))
        .unwrap_err();
        assert!(
            err.to_string().contains("MEMORY_DATABASE_READ_URLS"),
            "{err}"
        );
        assert!(!err.to_string().contains(":p@"), "no password in {err}");
    }
}

#[test]
fn env_example_documents_every_setting() {
    let example = include_str!("../../../.env.example");
    for key in KNOWN_KEYS {
        assert!(
            example.contains(&format!("{key}=")),
            "{key} missing from .env.example"
        );
    }
}

#[test]
fn ranking_weights_are_configurable_and_never_all_zero() {
    let s = Settings::from_vars(&with_data_dir(&[])).unwrap();
    assert_eq!(s.ranking.weights.relevance, 0.6);
    assert_eq!(s.ranking.weights.half_life_hours, 168.0);
    assert_eq!(s.ranking.importance.role, 0.2);
    let s = Settings::from_vars(&with_data_dir(&[
        ("MEMORY_RANKING_SIMILARITY_WEIGHT", "1"),
        ("MEMORY_RANKING_IMPORTANCE_WEIGHT", "0"),
        ("MEMORY_RANKING_RECENCY_WEIGHT", "0"),
        ("MEMORY_RANKING_HALF_LIFE_HOURS", "24"),
        ("MEMORY_IMPORTANCE_ROLE_WEIGHT", "1"),
    ]))
    .unwrap();
    assert_eq!(s.ranking.weights.relevance, 1.0);
    assert_eq!(s.ranking.weights.importance, 0.0);
    assert_eq!(s.ranking.weights.half_life_hours, 24.0);
    assert_eq!(s.ranking.importance.role, 1.0);
    let zero = [
        ("MEMORY_RANKING_SIMILARITY_WEIGHT", "0"),
        ("MEMORY_RANKING_IMPORTANCE_WEIGHT", "0"),
        ("MEMORY_RANKING_RECENCY_WEIGHT", "0"),
    ];
    let err = Settings::from_vars(&with_data_dir(&zero)).unwrap_err();
    assert!(err.to_string().contains("must not all be 0"), "{err}");
}
