//! The local embedding model (all-MiniLM-L6-v2 through ONNX Runtime), for real: semantic order,
//! batching that does not change vectors, checksum refusal, and search on top of it. Needs the
//! model files (scripts/fetch-model.sh, run by the test command) and an optimised build.

use reqwest::Method;
use serde_json::json;
use server::embed::{dot, local::LocalProvider, EmbeddingProvider};

use crate::helpers::*;

fn model_dir() -> std::path::PathBuf {
    let configured = std::env::var_os("MEMORY_EMBEDDING_MODEL_DIR").map(std::path::PathBuf::from);
    server::embed::local::files::model_dir(configured.as_deref())
}

fn provider() -> LocalProvider {
    LocalProvider::load(&model_dir()).expect("model files present: run scripts/fetch-model.sh")
}

#[tokio::test]
async fn the_local_model_embeds_by_meaning() {
    let p = provider();
    assert_eq!(p.dimensions(), 384);
    let texts = [
        "How do I bake bread at home?",
        "Tips for making homemade sourdough loaves",
        "The stock market fell sharply today",
    ]
    .map(String::from)
    .to_vec();
    let v = p.embed(texts).await.unwrap();
    for x in &v {
        assert_eq!(x.len(), 384);
        assert!((dot(x, x) - 1.0).abs() < 1e-4, "unit length");
    }
    let related = dot(&v[0], &v[1]);
    let unrelated = dot(&v[0], &v[2]);
    assert!(
        related > unrelated + 0.2,
        "related {related} vs unrelated {unrelated}"
    );
}

#[tokio::test]
async fn batching_and_padding_do_not_change_a_vector() {
    let p = provider();
    let short = "Hi".to_string();
    let long = "A much longer message that forces the short one to be padded in the batch, \
                with quite a few more tokens than two."
        .to_string();
    let alone = p.embed(vec![short.clone()]).await.unwrap().remove(0);
    let batched = p.embed(vec![long, short]).await.unwrap().remove(1);
    assert!(dot(&alone, &batched) > 0.9999, "{}", dot(&alone, &batched));
}

#[tokio::test]
async fn a_query_meets_the_stored_vector_of_its_own_text_first() {
    // Queries run on model-query.onnx (activations quantised at run time), stored messages on
    // model.onnx: the two must agree closely enough that a message is found by its own words.
    let p = provider();
    let texts = [
        "Caroline went to the LGBTQ support group on Tuesday",
        "Melanie painted a sunrise over the lake last year",
        "The quarterly report is due next Friday",
        "I adopted a puppy named Oscar from the shelter",
    ]
    .map(String::from)
    .to_vec();
    let stored = p.embed(texts.clone()).await.unwrap();
    for (i, text) in texts.into_iter().enumerate() {
        let query = p.embed_query(text.clone()).await.unwrap();
        assert!((dot(&query, &query) - 1.0).abs() < 1e-4, "unit length");
        let similarity: Vec<f32> = stored.iter().map(|s| dot(s, &query)).collect();
        assert!(similarity[i] > 0.98, "{text}: {}", similarity[i]);
        let again = p.embed_query(text).await.unwrap();
        assert!(
            dot(&query, &again) > 0.9999,
            "the same query, the same vector"
        );
        for (j, s) in similarity.iter().enumerate() {
            assert!(j == i || *s < similarity[i] - 0.2, "{similarity:?}");
        }
    }
}

#[tokio::test]
async fn batches_run_at_low_cpu_priority_so_requests_go_first() {
    let _p = provider();
    // /proc/self/task/<tid>/stat: "tid (name) state ..."; after the name, field 19 is nice.
    let niced: Vec<(String, i64)> = std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("stat")).ok())
        .filter_map(|stat| {
            let (head, tail) = stat.rsplit_once(')')?;
            let name = head.split_once('(')?.1.to_owned();
            let nice = tail.split_whitespace().nth(16)?.parse().ok()?;
            Some((name, nice))
        })
        .filter(|(name, _)| name == "embed-batches")
        .collect();
    assert!(!niced.is_empty(), "a batch thread is running");
    assert!(niced.iter().all(|(_, nice)| *nice == 10), "{niced:?}");
}

#[tokio::test]
async fn a_model_file_with_the_wrong_checksum_is_refused() {
    let dir = TempDir::new();
    for (name, _) in server::embed::local::files::PINNED {
        std::fs::copy(model_dir().join(name), dir.path.join(name)).unwrap();
    }
    let tokenizer = dir.path.join("tokenizer.json");
    let mut bytes = std::fs::read(&tokenizer).unwrap();
    bytes.push(b' ');
    std::fs::write(&tokenizer, bytes).unwrap();
    let error = LocalProvider::load(&dir.path).err().expect("refused");
    assert!(
        error.message.contains("tokenizer.json"),
        "{}",
        error.message
    );
    assert!(error.message.contains("sha256"), "{}", error.message);
}

#[tokio::test]
async fn search_with_the_local_model_finds_paraphrases() {
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            vars: vec![("MEMORY_EMBEDDING_PROVIDER".into(), "local".into())],
            ..Default::default()
        },
    )
    .await;
    let alice = app.register_and_login("alice", None).await;
    let t = &alice.access_token;
    store(
        &app,
        t,
        "c",
        "user",
        "My golden retriever Rex loves the beach",
    )
    .await;
    store(&app, t, "c", "user", "I renewed my car insurance yesterday").await;
    store(
        &app,
        t,
        "c",
        "user",
        "Quarterly revenue grew by eight percent",
    )
    .await;
    let r: serde_json::Value = app
        .call(
            Method::POST,
            "/v1/memory/search",
            t,
            Some(json!({"query": "what pet does she have?", "mode": "vector", "top_k": 1})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        r["items"][0]["content"],
        "My golden retriever Rex loves the beach"
    );
}
