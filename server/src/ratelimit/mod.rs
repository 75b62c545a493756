//! Rate limiting, all of it: GCRA (the generic cell rate algorithm) per client address, tenant
//! and API key, and the per-account login throttle.
//!
//! Each key has a "theoretical arrival time"; a request is allowed when it is not too far ahead
//! of it. Unlike fixed windows it has no boundary bursts, and a rejected request changes
//! nothing — so hammering a blocked limit does not extend the block.
//!
//! - [`Key`]: what is counted (`ip:…`, `tenant:…`, `key:…`).
//! - [`RateLimiter`]: Redis when configured, else (and while Redis fails) this process's memory.
//!   A failed Redis call opens a circuit breaker: for [`COOL_OFF`] every check stays in memory
//!   without waiting for Redis, then one call tries Redis again.
//! - [`in_process`], [`redis`]: the two backends (the same algorithm; Redis's in one Lua script,
//!   atomic and shared by every instance).
//! - [`middleware`]: the per-address limit and the `X-RateLimit-*` headers. Tenant and key
//!   budgets are spent where the credential is resolved (`service::caller`), the one place
//!   every door passes.
//! - [`login`]: failed logins per account (in Redis too when configured, so every instance
//!   counts one budget).

pub mod in_process;
pub mod login;
pub mod middleware;
mod redis;

use std::{
    net::IpAddr,
    sync::atomic::{AtomicBool, AtomicU64, Ordering},
    time::Duration,
};

use uuid::Uuid;

use crate::config::Rate;

/// How long a failed Redis call keeps the limiter in memory before Redis is tried again.
pub const COOL_OFF: Duration = Duration::from_secs(5);

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

/// What a budget belongs to.
#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    /// A client address (`None`: unknown, e.g. a Unix socket; they share one budget).
    Ip(Option<IpAddr>),
    Tenant(&'a str),
    ApiKey(Uuid),
}

impl Key<'_> {
    fn render(&self) -> String {
        match self {
            Self::Ip(ip) => format!("ip:{}", ip.map(|i| i.to_string()).unwrap_or_default()),
            Self::Tenant(t) => format!("tenant:{t}"),
            Self::ApiKey(id) => format!("key:{id}"),
        }
    }
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
    memory: in_process::InProcessStore,
    logins: login::LoginThrottle,
    redis: Option<redis::RedisStore>,
    breaker: Breaker,
}

/// Whether Redis is skipped for now, and whether one call is already trying it again.
#[derive(Default)]
struct Breaker {
    /// Unix milliseconds until which Redis is not asked (0: closed).
    open_until: AtomicU64,
    /// A call is probing Redis after a cool-off; the others keep to memory meanwhile.
    probing: AtomicBool,
    /// Set by the first failure of an outage, so it is logged once.
    failing: AtomicBool,
}

impl RateLimiter {
    pub fn new(redis: Option<(::redis::aio::ConnectionManager, String)>) -> Self {
        Self {
            memory: in_process::InProcessStore::default(),
            logins: login::LoginThrottle::default(),
            redis: redis.map(|(conn, prefix)| redis::RedisStore::new(conn, prefix)),
            breaker: Breaker::default(),
        }
    }

    /// Counts one request for `key` against `rate`.
    pub async fn check(&self, key: &Key<'_>, rate: Rate) -> Decision {
        let key = key.render();
        match self.in_redis(|redis| redis.check(&key, rate)).await {
            Some(decision) => decision,
            None => self.memory.check(&key, rate),
        }
    }

    /// `Some(retry_after)` while `account` (an email or username) has used up its failed
    /// logins ([`login`]).
    pub async fn login_locked(&self, account: &str) -> Option<Duration> {
        let account = account.to_lowercase();
        match self.in_redis(|redis| redis.login_locked(&account)).await {
            Some(locked) => locked,
            None => self.logins.check(&account).err(),
        }
    }

    /// Counts a failed login for `account`.
    pub async fn login_failed(&self, account: &str) {
        let account = account.to_lowercase();
        if self
            .in_redis(|redis| redis.login_failed(&account))
            .await
            .is_none()
        {
            self.logins.record_failure(&account);
        }
    }

    /// Forgets `account`'s failed logins (those counted during a Redis outage too).
    pub async fn login_succeeded(&self, account: &str) {
        let account = account.to_lowercase();
        self.logins.record_success(&account);
        let _ = self.in_redis(|redis| redis.login_succeeded(&account)).await;
    }

    /// Runs `call` on Redis when it is configured and the breaker lets it; `None` when the
    /// caller is to count in memory instead.
    async fn in_redis<'a, T, F, Fut>(&'a self, call: F) -> Option<T>
    where
        F: FnOnce(&'a redis::RedisStore) -> Fut,
        Fut: std::future::Future<Output = ::redis::RedisResult<T>>,
    {
        let redis = self.redis.as_ref()?;
        let _probe = self.breaker.admit()?;
        match call(redis).await {
            Ok(value) => {
                self.redis_answered();
                Some(value)
            }
            Err(error) => {
                self.redis_failed(&error);
                None
            }
        }
    }

    /// Notes that Redis answered (a check, or readiness's ping): limits are shared again.
    pub fn redis_answered(&self) {
        self.breaker.open_until.store(0, Ordering::Relaxed);
        if self.breaker.failing.swap(false, Ordering::Relaxed) {
            tracing::info!("Redis answers again: rate limits are shared again");
        }
    }

    fn redis_failed(&self, error: &dyn std::fmt::Display) {
        let until = in_process::now_ms() + COOL_OFF.as_millis() as u64;
        self.breaker.open_until.store(until, Ordering::Relaxed);
        if !self.breaker.failing.swap(true, Ordering::Relaxed) {
            tracing::warn!(%error,
                "Redis failed: rate limiting falls back to this instance's memory");
        }
    }

    /// True while Redis is configured but failing (readiness reports `degraded`).
    pub fn is_degraded(&self) -> bool {
        self.redis.is_some() && self.breaker.failing.load(Ordering::Relaxed)
    }
}

/// Releases the probe slot when a probing call ends, however it ends.
struct Probe<'a>(Option<&'a AtomicBool>);

impl Drop for Probe<'_> {
    fn drop(&mut self) {
        if let Some(flag) = self.0 {
            flag.store(false, Ordering::Relaxed);
        }
    }
}

impl Breaker {
    /// `Some` when this call may ask Redis: the breaker is closed, or it has cooled off and no
    /// other call is probing.
    fn admit(&self) -> Option<Probe<'_>> {
        let open_until = self.open_until.load(Ordering::Relaxed);
        if open_until == 0 {
            return Some(Probe(None));
        }
        if in_process::now_ms() < open_until {
            return None;
        }
        (!self.probing.swap(true, Ordering::Acquire)).then_some(Probe(Some(&self.probing)))
    }
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn an_open_breaker_admits_one_probe_after_its_cool_off() {
        let b = Breaker::default();
        assert!(b.admit().is_some(), "closed: every call asks Redis");
        b.open_until
            .store(in_process::now_ms() + 60_000, Ordering::Relaxed);
        assert!(b.admit().is_none(), "open: no call waits for Redis");
        b.open_until.store(1, Ordering::Relaxed);
        let probe = b.admit();
        assert!(probe.is_some(), "cooled off: one call probes");
        assert!(
            b.admit().is_none(),
            "while it probes, the others keep to memory"
        );
        drop(probe);
        assert!(b.admit().is_some(), "a finished probe frees the slot");
    }
}
