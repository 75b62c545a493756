//! In-process GCRA state: the embedded mode's limiter, and every instance's fallback while
//! Redis does not answer.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{SystemTime, UNIX_EPOCH},
};

use super::{gcra, Decision};
use crate::config::Rate;

#[derive(Default)]
pub struct InProcessStore {
    tats: Mutex<HashMap<String, u64>>,
}

pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

impl InProcessStore {
    pub fn check(&self, key: &str, rate: Rate) -> Decision {
        let now = now_ms();
        let mut tats = self.tats.lock().expect("rate limiter lock");
        // Keys whose TAT has passed hold no information: drop them so memory stays bounded.
        if tats.len() > 100_000 {
            tats.retain(|_, tat| *tat > now);
        }
        let tat = tats.get(key).copied().unwrap_or(0);
        let (decision, new_tat) = gcra(now, tat, rate);
        if let Some(t) = new_tat {
            tats.insert(key.to_owned(), t);
        }
        decision
    }
}
