//! Query-time ranking: `score = w_rel·relevance + w_imp·importance + w_rec·decay`, and
//! reciprocal-rank fusion of the vector and lexical retrievers.

use chrono::{DateTime, Utc};

/// Score weights and the recency half-life (defaults 0.6 / 0.3 / 0.1, one week).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankingWeights {
    pub relevance: f64,
    pub importance: f64,
    pub recency: f64,
    pub half_life_hours: f64,
}

impl Default for RankingWeights {
    fn default() -> Self {
        Self {
            relevance: 0.6,
            importance: 0.3,
            recency: 0.1,
            half_life_hours: 168.0,
        }
    }
}

/// RRF's damping constant: ranks beyond the first few count for less, but never for nothing.
pub const RRF_K: f64 = 60.0;

/// `0.5^(age / half_life)`: 1 for a new message, 0.5 after one half-life. (The original used
/// `exp(-age/week)` and called it a one-week half-life; it is one here.)
pub fn decay(created_at: DateTime<Utc>, now: DateTime<Utc>, half_life_hours: f64) -> f64 {
    let age_hours = (now - created_at).num_seconds().max(0) as f64 / 3600.0;
    0.5f64.powf(age_hours / half_life_hours.max(1e-9))
}

/// Reciprocal-rank fusion of 1-based ranks, normalised so a message ranked first by every
/// retriever scores 1.
pub fn rrf(ranks: &[Option<usize>]) -> f64 {
    let sum: f64 = ranks
        .iter()
        .flatten()
        .map(|r| 1.0 / (RRF_K + *r as f64))
        .sum();
    sum / (ranks.len() as f64 / (RRF_K + 1.0))
}

/// The final score.
pub fn score(w: &RankingWeights, relevance: f64, importance: f64, decay: f64) -> f64 {
    let total = w.relevance + w.importance + w.recency;
    (w.relevance * relevance + w.importance * importance + w.recency * decay) / total
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn decay_halves_every_half_life() {
        let now = Utc::now();
        assert!((decay(now, now, 168.0) - 1.0).abs() < 1e-12);
        assert!((decay(now - Duration::hours(168), now, 168.0) - 0.5).abs() < 1e-9);
        assert!((decay(now - Duration::hours(336), now, 168.0) - 0.25).abs() < 1e-9);
    }

    #[test]
    fn rrf_rewards_agreement_between_retrievers() {
        assert!((rrf(&[Some(1), Some(1)]) - 1.0).abs() < 1e-12);
        assert!(rrf(&[Some(2), Some(2)]) > rrf(&[Some(1), None]));
        assert_eq!(rrf(&[None, None]), 0.0);
    }
}
