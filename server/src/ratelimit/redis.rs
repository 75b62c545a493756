//! GCRA and the login throttle in Redis: one Lua script reads and updates the TAT atomically,
//! with Redis's own clock so that every instance agrees on "now"; failed logins are one counter
//! per account that expires with its window.

use std::{future::Future, time::Duration};

use redis::{aio::ConnectionManager, Script};
use sha2::{Digest, Sha256};

use super::{login, Decision};
use crate::config::Rate;

/// Returns {allowed, remaining, reset_at_ms, retry_after_ms}. A transcription of `super::gcra`;
/// keep the two in step.
const SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local interval = math.max(math.floor(window / limit), 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - window
if now < allow_at then
  return {0, 0, tat, allow_at - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', new_tat - now + 1000)
return {1, math.floor((now + window - new_tat) / interval), new_tat, 0}
";

/// Counts one failed login; the window starts at an account's first failure (as in memory).
const LOGIN_FAILED: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
";

/// A hung Redis must not hang every request: past this, the caller falls back to memory.
const CALL_TIMEOUT: Duration = Duration::from_millis(500);

pub struct RedisStore {
    conn: ConnectionManager,
    prefix: String,
    script: Script,
    login_failed: Script,
}

impl RedisStore {
    pub fn new(conn: ConnectionManager, prefix: String) -> Self {
        Self {
            conn,
            prefix,
            script: Script::new(SCRIPT),
            login_failed: Script::new(LOGIN_FAILED),
        }
    }

    pub async fn check(&self, key: &str, rate: Rate) -> redis::RedisResult<Decision> {
        let mut conn = self.conn.clone();
        let window = rate.window.as_millis() as u64;
        let mut invocation = self.script.key(format!("{}rl:{key}", self.prefix));
        invocation.arg(window).arg(rate.limit);
        let (allowed, remaining, reset_ms, retry_ms) =
            bounded(invocation.invoke_async::<(i64, i64, i64, i64)>(&mut conn)).await?;
        Ok(Decision {
            allowed: allowed == 1,
            limit: rate.limit,
            remaining: remaining.max(0) as u32,
            reset_at: (reset_ms.max(0) as u64).div_ceil(1000),
            retry_after: if allowed == 1 {
                0
            } else {
                (retry_ms.max(1) as u64).div_ceil(1000).max(1)
            },
        })
    }

    /// `Some(retry_after)` while `account` has used up its failed logins.
    pub async fn login_locked(&self, account: &str) -> redis::RedisResult<Option<Duration>> {
        let mut conn = self.conn.clone();
        let key = self.login_key(account);
        let (failures, ttl_ms): (Option<u32>, i64) =
            bounded(redis::pipe().get(&key).pttl(&key).query_async(&mut conn)).await?;
        Ok((failures.unwrap_or(0) >= login::MAX_FAILURES && ttl_ms > 0)
            .then(|| Duration::from_millis(ttl_ms as u64)))
    }

    pub async fn login_failed(&self, account: &str) -> redis::RedisResult<()> {
        let mut conn = self.conn.clone();
        let mut invocation = self.login_failed.key(self.login_key(account));
        invocation.arg(login::WINDOW.as_millis() as u64);
        bounded(invocation.invoke_async::<i64>(&mut conn)).await?;
        Ok(())
    }

    pub async fn login_succeeded(&self, account: &str) -> redis::RedisResult<()> {
        let mut conn = self.conn.clone();
        let key = self.login_key(account);
        bounded(redis::cmd("DEL").arg(&key).query_async::<i64>(&mut conn)).await?;
        Ok(())
    }

    /// The account's counter, named by a digest: Redis never holds the email or username.
    fn login_key(&self, account: &str) -> String {
        let digest = Sha256::digest(account.as_bytes());
        format!("{}login:{}", self.prefix, hex::encode(&digest[..16]))
    }
}

async fn bounded<T>(call: impl Future<Output = redis::RedisResult<T>>) -> redis::RedisResult<T> {
    tokio::time::timeout(CALL_TIMEOUT, call)
        .await
        .map_err(|_| redis::RedisError::from((redis::ErrorKind::Io, "Redis call timed out")))?
}
