//! The dashboard is rendered on the server, with the scripts that hydrate it.

use crate::helpers::*;

#[tokio::test]
async fn the_dashboard_is_server_rendered_with_its_hydration_scripts() {
    let app = spawn_app(Backend::Sqlite).await;
    let response = app
        .client
        .get(app.url("/"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy")
        .to_owned();
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(html.contains("<h1>Memory Mesh</h1>"), "{html}");
    assert!(html.contains("data-testid=\"check-status\""));
    assert!(html.contains("/pkg/memory-mesh.js"), "loads the WASM glue");
    assert!(
        html.contains("/pkg/memory-mesh_bg.wasm"),
        "preloads the WASM"
    );
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the inline hydration script carries the policy's nonce"
    );
}

#[tokio::test]
async fn browsers_get_the_dashboards_html_404_page() {
    let app = spawn_app(Backend::Sqlite).await;
    let response = app
        .client
        .get(app.url("/no/such/page"))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.headers().contains_key("content-security-policy"));
    let html = response.text().await.unwrap();
    assert!(html.contains("Page not found"), "{html}");
}

/// `Leptos.toml` (what the server reads) and Cargo.toml's `[[workspace.metadata.leptos]]` (what
/// cargo-leptos reads) describe the same site.
#[test]
fn leptos_toml_and_cargo_leptos_agree() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = |name: &str| {
        let text = std::fs::read_to_string(root.join(name)).unwrap();
        leptos::config::get_config_from_str(&text).unwrap()
    };
    let (server, cargo_leptos) = (read("Leptos.toml"), read("Cargo.toml"));
    let keys = |o: &leptos::config::LeptosOptions| {
        (
            o.output_name.to_string(),
            o.site_root.to_string(),
            o.site_pkg_dir.to_string(),
            o.site_addr,
            o.reload_port,
        )
    };
    assert_eq!(keys(&server), keys(&cargo_leptos));
}
