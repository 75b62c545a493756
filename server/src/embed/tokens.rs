//! Counting tokens for a prompt budget: with the local model's `tokenizer.json` when it is in
//! the model directory, else at 4 characters a token. Tokenizing is CPU work, so a batch runs
//! on the blocking pool.

use std::{path::Path, sync::Arc};

use tokenizers::Tokenizer;

/// How tokens are counted.
#[derive(Clone)]
pub enum TokenCounter {
    Tokenizer(Arc<Tokenizer>),
    Chars,
}

impl TokenCounter {
    /// The tokenizer of the model directory (configured or default) if it loads, else the
    /// character estimate.
    pub fn load(model_dir: Option<&Path>) -> Self {
        let path = super::local::files::model_dir(model_dir).join("tokenizer.json");
        if !path.exists() {
            return Self::Chars;
        }
        match Tokenizer::from_file(&path) {
            Ok(mut t) => {
                // Counted as written: no padding to a fixed length, no truncation.
                t.with_padding(None);
                match t.with_truncation(None) {
                    Ok(_) => Self::Tokenizer(Arc::new(t.clone())),
                    Err(_) => Self::Chars,
                }
            }
            Err(e) => {
                tracing::warn!(error.message = %e, "tokenizer.json did not load: counting 4 characters a token");
                Self::Chars
            }
        }
    }

    /// What `token_counter` says in an answer.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Tokenizer(_) => "tokenizer",
            Self::Chars => "chars/4",
        }
    }

    /// The tokens of each text, special tokens left out.
    pub async fn count(&self, texts: Vec<String>) -> Vec<u32> {
        match self {
            Self::Chars => texts.iter().map(|t| by_chars(t)).collect(),
            Self::Tokenizer(t) => {
                let (t, texts) = (t.clone(), Arc::new(texts));
                let shared = texts.clone();
                let counted = tokio::task::spawn_blocking(move || {
                    let inputs: Vec<&str> = shared.iter().map(String::as_str).collect();
                    t.encode_batch(inputs, false)
                        .map(|all| all.iter().map(|e| e.len() as u32).collect::<Vec<_>>())
                        .ok()
                })
                .await;
                // What the tokenizer cannot read is counted by its characters.
                match counted {
                    Ok(Some(counts)) => counts,
                    _ => texts.iter().map(|t| by_chars(t)).collect(),
                }
            }
        }
    }
}

fn by_chars(text: &str) -> u32 {
    text.chars().count().div_ceil(4) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn characters_count_four_to_a_token_rounded_up() {
        let counts = TokenCounter::Chars
            .count(vec!["".into(), "abcd".into(), "abcde".into(), "ééé".into()])
            .await;
        assert_eq!(counts, [0, 1, 2, 1]);
    }

    #[tokio::test]
    async fn a_missing_tokenizer_falls_back_to_characters() {
        let dir = std::env::temp_dir().join("mm-no-tokenizer");
        let counter = TokenCounter::load(Some(&dir));
        assert_eq!(counter.name(), "chars/4");
    }
}
