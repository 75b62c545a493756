//! A latency histogram that sums across minutes and instances: fixed bucket bounds, counts per
//! bucket, and percentiles interpolated inside the bucket they fall in (so a percentile is
//! exact to within its bucket's width, about ±25 % of the value).

/// Upper bounds of the buckets in milliseconds; one more bucket holds everything slower.
pub const BOUNDS_MS: [f64; 20] = [
    1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 50.0, 75.0, 100.0, 150.0, 200.0, 300.0, 500.0,
    1000.0, 2000.0, 5000.0, 10000.0,
];

/// Counts per bucket (`BOUNDS_MS.len() + 1` of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram(pub Vec<u64>);

impl Default for Histogram {
    fn default() -> Self {
        Self(vec![0; BOUNDS_MS.len() + 1])
    }
}

impl Histogram {
    /// Counts one observation of `ms` milliseconds.
    pub fn observe(&mut self, ms: f64) {
        let i = BOUNDS_MS
            .iter()
            .position(|&b| ms <= b)
            .unwrap_or(BOUNDS_MS.len());
        self.0[i] += 1;
    }

    /// Adds `other`'s counts (a stored row's: a shorter or longer list is tolerated).
    pub fn add(&mut self, other: &[u64]) {
        for (mine, theirs) in self.0.iter_mut().zip(other) {
            *mine += theirs;
        }
    }

    pub fn count(&self) -> u64 {
        self.0.iter().sum()
    }

    /// The `q` quantile (0..1) in milliseconds; none without observations.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let target = q.clamp(0.0, 1.0) * total as f64;
        let mut below = 0u64;
        for (i, &n) in self.0.iter().enumerate() {
            if n > 0 && (below + n) as f64 >= target {
                let lower = if i == 0 { 0.0 } else { BOUNDS_MS[i - 1] };
                let upper = BOUNDS_MS.get(i).copied().unwrap_or(lower * 2.0);
                let within = ((target - below as f64) / n as f64).clamp(0.0, 1.0);
                return Some(lower + (upper - lower) * within);
            }
            below += n;
        }
        BOUNDS_MS.last().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_fall_in_the_bucket_of_the_observations() {
        let mut h = Histogram::default();
        assert_eq!(h.quantile(0.5), None);
        for _ in 0..90 {
            h.observe(4.0); // (3, 5]
        }
        for _ in 0..10 {
            h.observe(180.0); // (150, 200]
        }
        assert_eq!(h.count(), 100);
        let p50 = h.quantile(0.5).unwrap();
        assert!((3.0..=5.0).contains(&p50), "{p50}");
        let p95 = h.quantile(0.95).unwrap();
        assert!((150.0..=200.0).contains(&p95), "{p95}");
    }

    #[test]
    fn histograms_sum_and_tolerate_other_lengths() {
        let mut a = Histogram::default();
        a.observe(0.5);
        a.observe(20_000.0);
        let mut b = Histogram::default();
        b.add(&a.0);
        b.add(&[1]);
        assert_eq!(b.count(), 3);
        assert_eq!(b.0[0], 2);
        assert_eq!(*b.0.last().unwrap(), 1);
        assert!(b.quantile(1.0).unwrap() > 10_000.0);
    }
}
