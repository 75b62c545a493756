//! Rate limiting with GCRA (the generic cell rate algorithm): each key has a "theoretical arrival
//! time"; a request is allowed when it is not too far ahead of it. Unlike fixed windows it has no
//! boundary bursts, and a rejected request changes nothing — so hammering a blocked limit does
//! not extend the block.
//!
//! - [`memory`]: in-process state, for the embedded mode and as the fallback.
//! - [`redis`]: the same algorithm in one Lua script, atomic and shared by every instance.
//!
//! [`RateLimiter`] uses Redis when configured and falls back to memory (logging once, and
//! reporting `degraded` in readiness) while Redis fails.

mod memory;
mod redis;

use std::sync::atomic::{AtomicBool, Ordering};

use crate::config::Rate;

/// The outcome of one check, with what the `X-RateLimit-*` headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Unix time (seconds) when the budget is full again.
    pub reset_at: u64,
    /// Seconds until a rejected request may be retried.
    pub retry_after: u64,
}

/// GCRA on integer milliseconds, shared by both stores so they agree exactly.
/// `tat` is the stored theoretical arrival time (0 if none); returns the decision and the new
/// TAT to store when allowed.
pub(crate) fn gcra(now_ms: u64, tat: u64, rate: Rate) -> (Decision, Option<u64>) {
    let window = rate.window.as_millis() as u64;
    let interval = (window / u64::from(rate.limit)).max(1);
    let tat = tat.max(now_ms);
    let new_tat = tat + interval;
    let allow_at = new_tat.saturating_sub(window);
    if now_ms < allow_at {
        let decision = Decision {
            allowed: false,
            limit: rate.limit,
            remaining: 0,
            reset_at: tat.div_ceil(1000),
            retry_after: (allow_at - now_ms).div_ceil(1000).max(1),
        };
        return (decision, None);
    }
    let remaining = ((now_ms + window - new_tat) / interval) as u32;
    let decision = Decision {
        allowed: true,
        limit: rate.limit,
        remaining: remaining.min(rate.limit),
        reset_at: new_tat.div_ceil(1000),
        retry_after: 0,
    };
    (decision, Some(new_tat))
}

/// The instance's limiter.
pub struct RateLimiter {
    memory: memory::MemoryStore,
    redis: Option<redis::RedisStore>,
    redis_failing: AtomicBool,
}

impl RateLimiter {
    pub fn new(redis: Option<(::redis::aio::ConnectionManager, String)>) -> Self {
        Self {
            memory: memory::MemoryStore::default(),
            redis: redis.map(|(conn, prefix)| redis::RedisStore::new(conn, prefix)),
            redis_failing: AtomicBool::new(false),
        }
    }

    /// Counts one request for `key` against `rate`.
    pub async fn check(&self, key: &str, rate: Rate) -> Decision {
        if let Some(redis) = &self.redis {
            match redis.check(key, rate).await {
                Ok(decision) => {
                    if self.redis_failing.swap(false, Ordering::Relaxed) {
                        tracing::info!("Redis answers again: rate limits are shared again");
                    }
                    return decision;
                }
                Err(error) => {
                    if !self.redis_failing.swap(true, Ordering::Relaxed) {
                        tracing::warn!(%error,
                            "Redis failed: rate limiting falls back to this instance's memory");
                    }
                }
            }
        }
        self.memory.check(key, rate)
    }

    /// True while Redis is configured but failing (readiness reports `degraded`).
    pub fn is_degraded(&self) -> bool {
        self.redis_failing.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn rate(limit: u32, secs: u64) -> Rate {
        Rate {
            limit,
            window: Duration::from_secs(secs),
        }
    }

    #[test]
    fn gcra_allows_the_limit_then_refuses_without_extending_the_block() {
        let r = rate(3, 60);
        let mut tat = 0;
        let now = 1_000_000;
        for expected_remaining in [2, 1, 0] {
            let (d, new) = gcra(now, tat, r);
            assert!(d.allowed);
            assert_eq!(d.remaining, expected_remaining);
            tat = new.unwrap();
        }
        let (blocked, none) = gcra(now, tat, r);
        assert!(!blocked.allowed && none.is_none());
        assert_eq!(blocked.retry_after, 20, "one slot frees after window/limit");
        // Hammering while blocked stores nothing, so a slot frees on schedule.
        let (d, _) = gcra(now + 20_000, tat, r);
        assert!(d.allowed);
    }
}
