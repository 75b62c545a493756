//! Searches per tenant in the last 24 hours and their latency, kept without a database write
//! per search: each instance counts into an in-memory histogram per tenant and minute, and
//! [`flush`] appends those once a minute (and at shutdown). Analytics add the rows of every
//! instance to this instance's not-yet-flushed minutes.

use std::{collections::HashMap, sync::Mutex, time::Duration};

use chrono::{DateTime, DurationRound, Utc};

use super::{Result, Services};
use crate::{domain::latency::Histogram, store::search_stats as store};

/// This instance's searches not yet flushed, by tenant and minute.
pub struct SearchStats {
    instance: String,
    pending: Mutex<HashMap<(String, DateTime<Utc>), Histogram>>,
}

/// A tenant's searches over a period.
pub struct SearchFigures {
    pub searches: u64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
}

impl Default for SearchStats {
    fn default() -> Self {
        Self {
            instance: uuid::Uuid::new_v4().simple().to_string()[..12].to_owned(),
            pending: Mutex::default(),
        }
    }
}

fn minute_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(chrono::Duration::minutes(1))
        .unwrap_or(at)
}

impl SearchStats {
    /// Counts one search of `tenant` that took `took`.
    pub fn record(&self, tenant: &str, took: Duration) {
        let key = (tenant.to_owned(), minute_of(Utc::now()));
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending
            .entry(key)
            .or_default()
            .observe(took.as_secs_f64() * 1000.0);
    }

    fn take(&self) -> HashMap<(String, DateTime<Utc>), Histogram> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn put_back(&self, taken: HashMap<(String, DateTime<Utc>), Histogram>) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        for (key, histogram) in taken {
            pending.entry(key).or_default().add(&histogram.0);
        }
    }

    /// This instance's unflushed histogram of `tenant` since `since`.
    fn unflushed(&self, tenant: &str, since: DateTime<Utc>) -> Histogram {
        let pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let mut sum = Histogram::default();
        for ((t, minute), histogram) in pending.iter() {
            if t == tenant && *minute >= since {
                sum.add(&histogram.0);
            }
        }
        sum
    }
}

/// Appends this instance's pending minutes; on failure they stay pending for the next flush.
pub async fn flush(svc: &Services) -> Result<usize> {
    let stats = &svc.search_stats;
    let taken = stats.take();
    if taken.is_empty() {
        return Ok(0);
    }
    let rows: Vec<store::MinuteRow> = taken
        .iter()
        .map(|((tenant, minute), histogram)| store::MinuteRow {
            tenant_id: tenant.clone(),
            minute: *minute,
            searches: histogram.count(),
            latency_buckets: histogram.0.clone(),
        })
        .collect();
    match svc
        .upkeep(async |db| store::append(db, &stats.instance, &rows).await)
        .await
    {
        Ok(()) => Ok(rows.len()),
        Err(e) => {
            stats.put_back(taken);
            Err(e)
        }
    }
}

/// Deletes minutes older than two days (analytics read one).
pub async fn prune(svc: &Services) -> Result<u64> {
    let before = Utc::now() - chrono::Duration::days(2);
    svc.upkeep(async |db| store::prune(db, before).await).await
}

/// `tenant`'s searches in the last 24 hours, on every instance.
pub async fn last_day(svc: &Services, tenant: &str) -> Result<SearchFigures> {
    let since = minute_of(Utc::now() - chrono::Duration::hours(24));
    let mut sum = svc.search_stats.unflushed(tenant, since);
    for stored in store::since(&svc.db, tenant, since).await? {
        sum.add(&stored);
    }
    Ok(SearchFigures {
        searches: sum.count(),
        p50_ms: sum.quantile(0.5),
        p95_ms: sum.quantile(0.95),
    })
}
