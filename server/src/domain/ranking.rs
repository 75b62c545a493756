//! Query-time ranking: `score = w_rel·relevance + w_imp·importance + w_rec·decay`, and
//! reciprocal-rank fusion of the vector and lexical retrievers.

use chrono::{DateTime, Utc};

use super::Invalid;

/// Bounds of one ranking weight (only the ratios of the three matter).
pub const WEIGHT_RANGE: std::ops::RangeInclusive<f64> = 0.0..=1000.0;
/// Bounds of the recency half-life, in hours.
pub const HALF_LIFE_HOURS_RANGE: std::ops::RangeInclusive<f64> = 0.01..=1e6;

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

/// Weights one search asks for instead of the server's; those left out keep their value.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WeightChanges {
    pub relevance: Option<f64>,
    pub importance: Option<f64>,
    pub recency: Option<f64>,
    pub half_life_hours: Option<f64>,
}

impl RankingWeights {
    /// These weights with `changes` applied, each within its bounds (NaN is outside them) and
    /// the three weights not all 0, which would make every score 0/0. `prefix` starts the
    /// field names an error reports (`weight_` for a search request's fields).
    pub fn changed(self, changes: WeightChanges, prefix: &str) -> Result<Self, Invalid> {
        let pick = |value: Option<f64>, default: f64, name: &str| match value {
            Some(v) if !WEIGHT_RANGE.contains(&v) => Err(Invalid::new(
                format!("{prefix}{name}"),
                format!(
                    "must be from {} to {}",
                    WEIGHT_RANGE.start(),
                    WEIGHT_RANGE.end()
                ),
            )),
            v => Ok(v.unwrap_or(default)),
        };
        let weights = Self {
            relevance: pick(changes.relevance, self.relevance, "relevance")?,
            importance: pick(changes.importance, self.importance, "importance")?,
            recency: pick(changes.recency, self.recency, "recency")?,
            half_life_hours: match changes.half_life_hours {
                Some(h) if !HALF_LIFE_HOURS_RANGE.contains(&h) => {
                    return Err(Invalid::new(
                        "half_life_hours",
                        format!(
                            "must be from {} to {} hours",
                            HALF_LIFE_HOURS_RANGE.start(),
                            HALF_LIFE_HOURS_RANGE.end()
                        ),
                    ))
                }
                h => h.unwrap_or(self.half_life_hours),
            },
        };
        if !weights.weighs_something() {
            return Err(Invalid::new(
                format!("{prefix}relevance"),
                "the three weights must not all be 0",
            ));
        }
        Ok(weights)
    }

    /// Whether any of the three weights counts: all 0 would make every score 0/0.
    pub fn weighs_something(&self) -> bool {
        self.relevance + self.importance + self.recency > 0.0
    }
}

/// RRF's damping constant. The customary 60 flattens the rankings too much for conversation
/// memory: on LoCoMo, k = 10 gave recall@10 0.676 against 0.615 for k = 60 (bench/).
pub const RRF_K: f64 = 10.0;

/// Weight of vector similarity against lexical relevance in score fusion. Measured on LoCoMo
/// (recall@1 / @5 / @10): 0.3 → .316/.576/.662, 0.5 → .320/.579/.673, 0.7 → .288/.541/.654.
pub const HYBRID_ALPHA: f64 = 0.5;

/// Score fusion: `α·similarity + (1-α)·lexical`, with similarity min-max normalised over the
/// candidates (`range`) and lexical relevance already normalised to the best match. A retriever
/// that did not find the message contributes 0.
pub fn convex(similarity: Option<f64>, range: (f64, f64), lexical: Option<f64>) -> f64 {
    let span = (range.1 - range.0).max(1e-9);
    let s = similarity.map_or(0.0, |s| ((s - range.0) / span).clamp(0.0, 1.0));
    HYBRID_ALPHA * s + (1.0 - HYBRID_ALPHA) * lexical.unwrap_or(0.0)
}

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
    fn weight_changes_are_bounded_and_never_all_zero() {
        let d = RankingWeights::default();
        let some = |r, i, c| WeightChanges {
            relevance: Some(r),
            importance: Some(i),
            recency: Some(c),
            half_life_hours: None,
        };
        let w = d.changed(some(1.0, 0.0, 0.0), "weight_").unwrap();
        assert_eq!((w.relevance, w.importance, w.recency), (1.0, 0.0, 0.0));
        assert_eq!(w.half_life_hours, d.half_life_hours);
        assert_eq!(d.changed(WeightChanges::default(), "weight_").unwrap(), d);
        let refused = |c: WeightChanges| d.changed(c, "weight_").unwrap_err().field;
        assert_eq!(refused(some(0.0, 0.0, 0.0)), "weight_relevance");
        assert_eq!(refused(some(1.0, -1.0, 0.0)), "weight_importance");
        assert_eq!(refused(some(1.0, 0.0, f64::NAN)), "weight_recency");
        let half_life = |h| WeightChanges {
            half_life_hours: Some(h),
            ..WeightChanges::default()
        };
        assert_eq!(refused(half_life(0.0)), "half_life_hours");
        assert_eq!(
            d.changed(half_life(24.0), "").unwrap().half_life_hours,
            24.0
        );
    }

    #[test]
    fn decay_halves_every_half_life() {
        let now = Utc::now();
        assert!((decay(now, now, 168.0) - 1.0).abs() < 1e-12);
        assert!((decay(now - Duration::hours(168), now, 168.0) - 0.5).abs() < 1e-9);
        assert!((decay(now - Duration::hours(336), now, 168.0) - 0.25).abs() < 1e-9);
    }

    #[test]
    fn score_fusion_normalises_both_sides() {
        assert!((convex(Some(0.9), (0.1, 0.9), Some(1.0)) - 1.0).abs() < 1e-12);
        assert!((convex(Some(0.1), (0.1, 0.9), None)).abs() < 1e-12);
        assert!((convex(Some(0.5), (0.1, 0.9), Some(0.5)) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn rrf_rewards_agreement_between_retrievers() {
        assert!((rrf(&[Some(1), Some(1)]) - 1.0).abs() < 1e-12);
        assert!(rrf(&[Some(2), Some(2)]) > rrf(&[Some(1), None]));
        assert_eq!(rrf(&[None, None]), 0.0);
    }
}
