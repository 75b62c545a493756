//! Slows password guessing: after a few failed logins for one account within a window, further
//! attempts are refused until the window passes. Counted per account (not per IP), so spreading
//! the guesses over many addresses does not help. With Redis the count is shared by every
//! instance ([`super::RateLimiter::login_locked`]); this in-memory throttle counts when Redis is
//! not configured or not answering.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Failures allowed per window before the account is locked for the rest of it.
pub const MAX_FAILURES: u32 = 5;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginThrottle {
    /// `Err(retry_after)` when the account is locked.
    pub fn check(&self, account: &str) -> Result<(), Duration> {
        let map = self.failures.lock().expect("throttle lock");
        match map.get(&account.to_lowercase()) {
            Some((count, since)) if *count >= MAX_FAILURES && since.elapsed() < WINDOW => {
                Err(WINDOW - since.elapsed())
            }
            _ => Ok(()),
        }
    }

    pub fn record_failure(&self, account: &str) {
        let mut map = self.failures.lock().expect("throttle lock");
        if map.len() > 100_000 {
            map.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
        let entry = map
            .entry(account.to_lowercase())
            .or_insert((0, Instant::now()));
        if entry.1.elapsed() >= WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    pub fn record_success(&self, account: &str) {
        self.failures
            .lock()
            .expect("throttle lock")
            .remove(&account.to_lowercase());
    }
}
