//! GCRA in Redis: one Lua script reads and updates the TAT atomically, with Redis's own clock so
//! that every instance agrees on "now".

use redis::{aio::ConnectionManager, Script};

use super::Decision;
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

pub struct RedisStore {
    conn: ConnectionManager,
    prefix: String,
    script: Script,
}

impl RedisStore {
    pub fn new(conn: ConnectionManager, prefix: String) -> Self {
        Self {
            conn,
            prefix,
            script: Script::new(SCRIPT),
        }
    }

    pub async fn check(&self, key: &str, rate: Rate) -> redis::RedisResult<Decision> {
        let mut conn = self.conn.clone();
        let window = rate.window.as_millis() as u64;
        let mut invocation = self.script.key(format!("{}rl:{key}", self.prefix));
        invocation.arg(window).arg(rate.limit);
        let call = invocation.invoke_async::<(i64, i64, i64, i64)>(&mut conn);
        // A hung Redis must not hang every request: past 500 ms, fall back to memory.
        let (allowed, remaining, reset_ms, retry_ms) =
            tokio::time::timeout(std::time::Duration::from_millis(500), call)
                .await
                .map_err(|_| {
                    redis::RedisError::from((redis::ErrorKind::Io, "rate limit call timed out"))
                })??;
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
}
