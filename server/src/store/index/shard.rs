//! The index's in-memory layout: per-tenant shards of vectors and ranking facts, and the map
//! from message id to slot, updated in place.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{scan::sign_bits, text::TextShard, IdMap};

/// What ranking needs of an indexed message besides its vector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Facts {
    pub importance: f64,
    pub created_at: DateTime<Utc>,
}

/// One row as the index mirrors it.
pub(super) struct Row {
    pub(super) id: Uuid,
    pub(super) tenant: String,
    pub(super) vector: Vec<f32>,
    pub(super) facts: Facts,
}

/// One tenant's vectors, structure-of-arrays: row-major sign bits for the scan, the f32 vectors
/// for the exact re-rank, and the ranking facts.
#[derive(Default)]
pub(super) struct Shard {
    pub(super) ids: Vec<Uuid>,
    /// `ids.len() × words(dims)` words of sign bits ([`sign_bits`]).
    pub(super) bits: Vec<u64>,
    pub(super) vectors: Vec<f32>,
    pub(super) facts: Vec<Facts>,
}

/// Moves the last `dims`-wide row of `rows` into row `i` and drops the last.
pub(super) fn swap_remove_row<T: Copy>(rows: &mut Vec<T>, i: usize, dims: usize) {
    let last = rows.len() / dims - 1;
    if i != last {
        let (head, tail) = rows.split_at_mut(last * dims);
        head[i * dims..(i + 1) * dims].copy_from_slice(&tail[..dims]);
    }
    rows.truncate(last * dims);
}

/// Words of sign bits per `dims`-wide vector.
pub(super) fn words(dims: usize) -> usize {
    dims.div_ceil(64)
}

impl Shard {
    pub(super) fn push(&mut self, row: &Row, bits: &[u64]) -> usize {
        self.ids.push(row.id);
        self.bits.extend_from_slice(bits);
        self.vectors.extend_from_slice(&row.vector);
        self.facts.push(row.facts);
        self.ids.len() - 1
    }

    pub(super) fn set(&mut self, slot: usize, row: &Row, bits: &[u64], dims: usize) {
        let w = words(dims);
        self.bits[slot * w..(slot + 1) * w].copy_from_slice(bits);
        self.vectors[slot * dims..(slot + 1) * dims].copy_from_slice(&row.vector);
        self.facts[slot] = row.facts;
    }

    pub(super) fn vector(&self, slot: usize, dims: usize) -> &[f32] {
        &self.vectors[slot * dims..(slot + 1) * dims]
    }

    /// Removes slot `i` by moving the last vector into it; returns the id that moved, if any.
    pub(super) fn swap_remove(&mut self, i: usize, dims: usize) -> Option<Uuid> {
        let last = self.ids.len() - 1;
        self.ids.swap_remove(i);
        self.facts.swap_remove(i);
        swap_remove_row(&mut self.bits, i, words(dims));
        swap_remove_row(&mut self.vectors, i, dims);
        (i != last).then(|| self.ids[i])
    }
}

#[derive(Default)]
pub(super) struct Inner {
    pub(super) shards: HashMap<String, Shard>,
    /// Where each indexed message is: its tenant and slot.
    pub(super) slots: IdMap<(String, usize)>,
    /// Each tenant's words (every non-archived message, embedded or not).
    pub(super) texts: HashMap<String, TextShard>,
    /// The tenant under which each message's words are indexed.
    pub(super) text_tenant: IdMap<String>,
}

impl Inner {
    pub(super) fn remove(&mut self, id: Uuid, dims: usize) {
        let Some((tenant, slot)) = self.slots.remove(&id) else {
            return;
        };
        if let Some(shard) = self.shards.get_mut(&tenant) {
            if let Some(moved) = shard.swap_remove(slot, dims) {
                self.slots.insert(moved, (tenant.clone(), slot));
            }
            if shard.ids.is_empty() {
                self.shards.remove(&tenant);
            }
        }
    }

    pub(super) fn upsert(&mut self, row: &Row, dims: usize) {
        if row.vector.len() != dims {
            return;
        }
        let bits = sign_bits(&row.vector);
        if let Some((t, slot)) = self.slots.get(&row.id) {
            if *t == row.tenant {
                let shard = self.shards.get_mut(t).expect("slot points at a shard");
                shard.set(*slot, row, &bits, dims);
                return;
            }
            self.remove(row.id, dims);
        }
        let slot = self
            .shards
            .entry(row.tenant.clone())
            .or_default()
            .push(row, &bits);
        self.slots.insert(row.id, (row.tenant.clone(), slot));
    }

    /// Mirrors one message: its words always, its vector when it has one.
    pub(super) fn mirror(&mut self, row: &Row, content: &str, dims: usize) {
        if self
            .text_tenant
            .get(&row.id)
            .is_some_and(|t| *t != row.tenant)
        {
            self.remove_text(row.id);
        }
        self.texts
            .entry(row.tenant.clone())
            .or_default()
            .upsert(row.id, content);
        self.text_tenant.insert(row.id, row.tenant.clone());
        if row.vector.len() == dims {
            self.upsert(row, dims);
        } else {
            self.remove(row.id, dims);
        }
    }

    /// Forgets a message (deleted, archived, or about to be re-mirrored).
    pub(super) fn forget(&mut self, id: Uuid, dims: usize) {
        self.remove(id, dims);
        self.remove_text(id);
    }

    /// Drops everything held under `key` (a tenant or its archived messages' key).
    pub(super) fn drop_key(&mut self, key: &str) {
        if let Some(text) = self.texts.remove(key) {
            for id in text.ids() {
                self.text_tenant.remove(id);
            }
        }
        if let Some(shard) = self.shards.remove(key) {
            for id in &shard.ids {
                self.slots.remove(id);
            }
        }
    }

    /// Estimated heap bytes of the words held under `key`.
    pub(super) fn text_bytes(&self, key: &str) -> usize {
        self.texts.get(key).map_or(0, TextShard::bytes)
    }

    /// Estimated heap bytes of every word held.
    pub(super) fn all_text_bytes(&self) -> usize {
        self.texts.values().map(TextShard::bytes).sum()
    }

    fn remove_text(&mut self, id: Uuid) {
        let Some(tenant) = self.text_tenant.remove(&id) else {
            return;
        };
        if let Some(shard) = self.texts.get_mut(&tenant) {
            shard.remove(id);
            if shard.is_empty() {
                self.texts.remove(&tenant);
            }
        }
    }
}
