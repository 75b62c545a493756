//! Retrieval quality on the LoCoMo development split: recall@1/5/10 of an evidence turn over
//! question categories 1–4, for the vector, lexical and hybrid modes.
//!
//! Run with: `cargo run --release -p bench --bin locomo -- [path/to/locomo-dev.json]`
//! (default `../shared/data/locomo/locomo-dev.json`). Each conversation becomes its own
//! conversation of one tenant; every turn is stored with its speaker in the text, its session
//! time as `created_at` and its `dia_id` in the metadata; each question is searched within its
//! conversation.

use std::time::Instant;

use anyhow::Context;
use chrono::{NaiveDateTime, TimeZone, Utc};
use serde_json::{json, Value};

const MODES: [&str; 3] = ["vector", "lexical", "hybrid"];
const KS: [usize; 3] = [1, 5, 10];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/locomo/locomo-dev.json".into());
    let data: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?,
    )?;
    let bench = bench::start(&[]).await?;
    let mut hits = [[0usize; 3]; 3];
    let mut questions = 0usize;
    let mut per_category: std::collections::BTreeMap<u64, (usize, usize)> = Default::default();
    let started = Instant::now();
    let mut turns_total = 0;
    for sample in &data {
        let id = sample["sample_id"].as_str().context("sample_id")?;
        let turns = turns(sample)?;
        turns_total += turns.len();
        for chunk in turns.chunks(500) {
            let messages: Vec<Value> = chunk
                .iter()
                .map(|(speaker, dia, text, at)| {
                    json!({"conversation_id": id, "role": "user",
                           "content": format!("{speaker}: {text}"),
                           "created_at": at, "metadata": {"dia_id": dia, "speaker": speaker}})
                })
                .collect();
            bench
                .post("/v1/messages/batch", &json!({"messages": messages}))
                .await?;
        }
        for qa in sample["qa"].as_array().context("qa")? {
            let category = qa["category"].as_u64().unwrap_or(0);
            if !(1..=4).contains(&category) {
                continue;
            }
            let evidence: Vec<&str> = qa["evidence"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            questions += 1;
            for (m, mode) in MODES.iter().enumerate() {
                let r = bench
                    .post(
                        "/v1/memory/search",
                        &json!({"query": qa["question"], "conversation_id": id,
                                "mode": mode, "top_k": 10}),
                    )
                    .await?;
                let ranked: Vec<&str> = r["items"]
                    .as_array()
                    .context("items")?
                    .iter()
                    .filter_map(|i| i["metadata"]["dia_id"].as_str())
                    .collect();
                let first = ranked.iter().position(|d| evidence.contains(d));
                for (k, cutoff) in KS.iter().enumerate() {
                    if first.is_some_and(|p| p < *cutoff) {
                        hits[m][k] += 1;
                    }
                }
                if *mode == "hybrid" {
                    let e = per_category.entry(category).or_default();
                    e.0 += 1;
                    e.1 += usize::from(first.is_some_and(|p| p < 10));
                }
            }
        }
    }
    println!(
        "LoCoMo dev: {} conversations, {turns_total} turns, {questions} questions (categories 1-4), {:.0} s",
        data.len(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "{:<8} {:>9} {:>9} {:>9}",
        "mode", "recall@1", "recall@5", "recall@10"
    );
    for (m, mode) in MODES.iter().enumerate() {
        let r = |k: usize| hits[m][k] as f64 / questions as f64;
        println!("{mode:<8} {:>9.3} {:>9.3} {:>9.3}", r(0), r(1), r(2));
    }
    for (category, (n, hit)) in per_category {
        println!(
            "hybrid recall@10, category {category}: {:.3} ({n} questions)",
            hit as f64 / n as f64
        );
    }
    Ok(())
}

/// `(speaker, dia_id, text, created_at)` of every turn, sessions in order.
fn turns(sample: &Value) -> anyhow::Result<Vec<(String, String, String, String)>> {
    let conversation = sample["conversation"].as_object().context("conversation")?;
    let mut out = Vec::new();
    for n in 1.. {
        let Some(session) = conversation.get(&format!("session_{n}")) else {
            break;
        };
        let when = conversation
            .get(&format!("session_{n}_date_time"))
            .and_then(Value::as_str)
            .context("session time")?;
        let base = NaiveDateTime::parse_from_str(when, "%I:%M %p on %d %B, %Y")
            .with_context(|| format!("parsing {when:?}"))?;
        for (i, turn) in session.as_array().into_iter().flatten().enumerate() {
            // One second per turn keeps the conversation's order in created_at.
            let at = Utc.from_utc_datetime(&base) + chrono::Duration::seconds(i as i64);
            let mut text = turn["text"].as_str().unwrap_or_default().to_owned();
            if let Some(caption) = turn["blip_caption"].as_str() {
                text.push_str(&format!(" [shares a photo: {caption}]"));
            }
            out.push((
                turn["speaker"].as_str().unwrap_or_default().to_owned(),
                turn["dia_id"].as_str().unwrap_or_default().to_owned(),
                text,
                at.to_rfc3339(),
            ));
        }
    }
    Ok(out)
}
