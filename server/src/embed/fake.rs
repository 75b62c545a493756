//! A deterministic stand-in for a model, for tests: words and character trigrams hashed into
//! buckets. Texts sharing words get similar vectors, so search tests have meaningful order, but
//! it knows nothing of meaning. Refused in production by the settings.

use super::{normalize, EmbedError, EmbeddingProvider};

pub struct FakeProvider {
    dimensions: usize,
}

impl FakeProvider {
    pub fn new(dimensions: usize) -> Self {
        Self { dimensions }
    }

    pub fn embed_one(&self, text: &str) -> Vec<f32> {
        let mut v = vec![0f32; self.dimensions];
        let lower = text.to_lowercase();
        for word in lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            v[bucket(word.as_bytes(), self.dimensions)] += 1.0;
            let chars: Vec<char> = format!(" {word} ").chars().collect();
            for gram in chars.windows(3) {
                let g: String = gram.iter().collect();
                v[bucket(g.as_bytes(), self.dimensions)] += 0.3;
            }
        }
        normalize(&mut v);
        v
    }
}

/// FNV-1a: stable across runs and platforms, unlike std's randomly seeded hasher.
fn bucket(bytes: &[u8], n: usize) -> usize {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    (h % n as u64) as usize
}

#[async_trait::async_trait]
impl EmbeddingProvider for FakeProvider {
    fn model_id(&self) -> &str {
        "fake-hashing"
    }

    fn dimensions(&self) -> usize {
        self.dimensions
    }

    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(texts.iter().map(|t| self.embed_one(t)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::dot;

    #[test]
    fn similar_texts_score_higher_and_results_are_stable() {
        let p = FakeProvider::new(384);
        let q = p.embed_one("python programming help");
        let near = p.embed_one("I need help with Python programming");
        let far = p.embed_one("the weather in Paris is sunny");
        assert!(dot(&q, &near) > dot(&q, &far));
        assert_eq!(p.embed_one("same text"), p.embed_one("same text"));
        assert!((dot(&near, &near) - 1.0).abs() < 1e-5);
    }
}
