//! Idempotent writes (`Idempotency-Key`): a retried request gets the first answer again and
//! stores nothing twice — also when the retry races the first attempt, on this instance or on
//! another — and the same key with a different request is refused (422).
//!
//! How: the answer is recorded in the same transaction as the write ([`Claim::record`]), and a
//! key is unique per tenant. Of two racing attempts one commits; the other finds the key taken
//! when it records, rolls its own write back and answers with what the first recorded. A crash
//! cannot separate the write from its answer. Only successful answers are kept: a refused or
//! failed request wrote nothing, and its retry runs again.

use std::future::Future;

use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;
use serde::{de::DeserializeOwned, Serialize};

use super::{Result, ServiceError, Services};
use crate::{auth::sha256_hex, store::idempotency as store};

/// How long a first answer is kept.
pub const KEPT_HOURS: i64 = 24;
/// The header's name, as errors name it.
pub const HEADER: &str = "Idempotency-Key";
/// The longest key.
pub const MAX_LEN: usize = 255;

/// A key as the client sent it, checked, with what identifies its request.
#[derive(Debug, Clone)]
pub struct Key {
    value: String,
    fingerprint: String,
}

impl Key {
    /// `raw` (the header's value) for `operation` with `request`: everything that shapes the
    /// write, its body and its query's options.
    pub fn new(raw: &str, operation: &str, request: &impl Serialize) -> Result<Self> {
        let value = raw.trim();
        if value.is_empty() || value.len() > MAX_LEN || !value.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(ServiceError::invalid(
                HEADER,
                format!("must be 1 to {MAX_LEN} visible ASCII characters"),
            ));
        }
        let body = serde_json::to_string(request).map_err(|e| ServiceError::Internal(e.into()))?;
        Ok(Self {
            value: value.to_owned(),
            fingerprint: sha256_hex(&format!("{operation}\n{body}")),
        })
    }

    /// The key of `operation` with `request`, when the client sent one.
    pub fn of(
        raw: Option<&str>,
        operation: &str,
        request: &impl Serialize,
    ) -> Result<Option<Self>> {
        raw.map(|raw| Self::new(raw, operation, request))
            .transpose()
    }
}

/// Where a write under a key records its answer, in the write's own transaction.
pub struct Claim<'a> {
    tenant_id: &'a str,
    key: &'a Key,
}

impl Claim<'_> {
    /// Records `answer` in `txn`. A key another attempt recorded first fails with
    /// [`ServiceError::KeyTaken`], which rolls the write back.
    pub async fn record(&self, txn: &impl ConnectionTrait, answer: &impl Serialize) -> Result<()> {
        record(txn, &self.answer(answer)?).await
    }

    /// `answer` as the store records it.
    pub fn answer(&self, answer: &impl Serialize) -> Result<store::Answer> {
        Ok(store::Answer {
            tenant_id: self.tenant_id.to_owned(),
            key: self.key.value.clone(),
            fingerprint: self.key.fingerprint.clone(),
            response: serde_json::to_string(answer)
                .map_err(|e| ServiceError::Internal(e.into()))?,
            kept_since: kept_since(),
        })
    }
}

/// Records `answer` in the transaction `txn` of the write it answers; a key another attempt
/// recorded first fails with [`ServiceError::KeyTaken`], which rolls the write back.
pub async fn record(txn: &impl ConnectionTrait, answer: &store::Answer) -> Result<()> {
    if store::record(txn, answer).await? {
        Ok(())
    } else {
        Err(ServiceError::KeyTaken)
    }
}

fn kept_since() -> DateTime<Utc> {
    Utc::now() - Duration::hours(KEPT_HOURS)
}

/// Runs `write` at most once per key in `tenant`: without a key, simply runs it; with one
/// answered before, answers that again without running it; otherwise runs it with the
/// [`Claim`] its transaction records the answer with.
pub async fn once<'a, T, F, Fut>(
    svc: &Services,
    tenant: &'a str,
    key: Option<&'a Key>,
    write: F,
) -> Result<T>
where
    T: DeserializeOwned,
    F: FnOnce(Option<Claim<'a>>) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let Some(key) = key else {
        return write(None).await;
    };
    if let Some(answer) = replay(svc, tenant, key).await? {
        return Ok(answer);
    }
    match write(Some(Claim {
        tenant_id: tenant,
        key,
    }))
    .await
    {
        Err(ServiceError::KeyTaken) => replay(svc, tenant, key)
            .await?
            .ok_or(ServiceError::KeyTaken),
        done => done,
    }
}

/// The answer recorded under `key` in `tenant`, when it answered the same request.
async fn replay<T: DeserializeOwned>(svc: &Services, tenant: &str, key: &Key) -> Result<Option<T>> {
    let Some(found) = store::find(&svc.db, tenant, &key.value, kept_since()).await? else {
        return Ok(None);
    };
    if found.fingerprint != key.fingerprint {
        return Err(ServiceError::invalid(
            HEADER,
            format!(
                "was used for a different request in the last {KEPT_HOURS} hours; send a new \
                 key with a new request"
            ),
        ));
    }
    serde_json::from_str(&found.response)
        .map(Some)
        .map_err(|e| ServiceError::Internal(e.into()))
}

/// Deletes the answers past their kept period.
pub async fn prune(svc: &Services) -> Result<u64> {
    svc.upkeep(async |db| store::prune(db, kept_since()).await)
        .await
}
