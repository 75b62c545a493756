//! The lexical half of the in-process index: a BM25 inverted index per tenant.
//!
//! Why not FTS5: SQLite's FTS5 ranks every message that matches any query word, through its
//! row machinery, over every tenant's messages, then joins back to filter by tenant — linear in
//! the whole database. Posting lists in memory, partitioned by tenant, score the same matches
//! several times faster (docs/benchmarks.md). Terms are made as FTS5's `porter unicode61` and
//! PostgreSQL's `english` configuration make them: lower-cased alphanumeric words, English stop
//! words dropped, Porter/Snowball-stemmed.

use std::collections::HashMap;

use rust_stemmers::{Algorithm, Stemmer};
use uuid::Uuid;

use crate::domain::stopwords::is_stopword;

use super::{IdMap, IdSet};

/// BM25's term-frequency saturation and length normalisation (the customary values).
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// Words beyond this are ignored (a pasted document should not cost a million postings).
const MAX_TERMS: usize = 4096;

/// Lower-cased, stop-word-free, stemmed terms of `text`, in order (repeats kept).
pub fn terms(text: &str) -> Vec<String> {
    thread_local! {
        static STEMMER: Stemmer = Stemmer::create(Algorithm::English);
    }
    STEMMER.with(|stemmer| {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .filter(|w| !is_stopword(w))
            .take(MAX_TERMS)
            .map(|w| stemmer.stem(&w).into_owned())
            .collect()
    })
}

/// Estimated heap bytes of one document: its entries in `docs` and `by_id`, and the index's map
/// from message id to tenant. With [`TERM_BYTES`] and [`KEY_BYTES`], calibrated against the
/// resident memory of an index holding 10⁶ LoCoMo turns (`bench --bin tenants`,
/// docs/benchmarks.md): about 1.4 kB per message.
const DOC_BYTES: usize = 260;
/// Estimated heap bytes of each distinct term of a document (beside its length): the term in
/// the document's list, and its posting.
const TERM_BYTES: usize = 73;
/// Estimated heap bytes of a term's posting list in the map (beside the term's length).
const KEY_BYTES: usize = 94;

/// One tenant's inverted index. Documents are numbered as they arrive; a removed number is
/// never reused, and its postings are removed with it.
#[derive(Default)]
pub struct TextShard {
    /// Term → postings, in document order.
    postings: HashMap<String, Vec<Posting>>,
    /// Doc → its message and distinct terms (to remove it again).
    docs: HashMap<u32, Doc>,
    by_id: IdMap<u32>,
    next: u32,
    total_len: u64,
    /// Estimated heap bytes held ([`DOC_BYTES`]).
    bytes: usize,
}

/// One term in one document, with what BM25 needs of that document, so scoring a posting
/// list reads nothing else.
#[derive(Clone, Copy)]
struct Posting {
    doc: u32,
    tf: u32,
    len: u32,
}

struct Doc {
    id: Uuid,
    len: u32,
    terms: Vec<String>,
}

/// A query term's place in its posting list while the lists are merged.
struct Cursor<'a> {
    list: &'a [Posting],
    at: usize,
    idf: f32,
}

impl TextShard {
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Estimated heap bytes held: what the memory cap counts.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The messages indexed.
    pub fn ids(&self) -> impl Iterator<Item = &Uuid> {
        self.by_id.keys()
    }

    /// Indexes `text` as message `id`, replacing what was indexed for it before.
    pub fn upsert(&mut self, id: Uuid, text: &str) {
        self.remove(id);
        let terms = terms(text);
        let mut counts: HashMap<String, u32> = HashMap::new();
        for t in &terms {
            *counts.entry(t.clone()).or_default() += 1;
        }
        let doc = self.next;
        self.next += 1;
        let len = terms.len() as u32;
        self.bytes += DOC_BYTES;
        for (term, tf) in &counts {
            self.bytes += TERM_BYTES + term.len();
            let list = self.postings.entry(term.clone()).or_insert_with(|| {
                self.bytes += KEY_BYTES + term.len();
                Vec::new()
            });
            list.push(Posting { doc, tf: *tf, len });
        }
        self.total_len += u64::from(len);
        self.docs.insert(
            doc,
            Doc {
                id,
                len,
                terms: counts.into_keys().collect(),
            },
        );
        self.by_id.insert(id, doc);
    }

    pub fn remove(&mut self, id: Uuid) {
        let Some(doc) = self.by_id.remove(&id) else {
            return;
        };
        let Some(d) = self.docs.remove(&doc) else {
            return;
        };
        self.total_len -= u64::from(d.len);
        self.bytes -= DOC_BYTES;
        for term in d.terms {
            self.bytes -= TERM_BYTES + term.len();
            if let Some(list) = self.postings.get_mut(&term) {
                // Postings are in arrival order, so the doc is found by binary search.
                if let Ok(i) = list.binary_search_by_key(&doc, |p| p.doc) {
                    list.remove(i);
                }
                if list.is_empty() {
                    self.postings.remove(&term);
                    self.bytes -= KEY_BYTES + term.len();
                }
            }
        }
    }

    /// The `n` best BM25 matches of any of `query`'s terms, as `(id, score)`, best first;
    /// `allowed` restricts them to those ids.
    ///
    /// Document at a time: the query terms' posting lists (each in document order) are merged,
    /// each document's score is complete when the merge leaves it, and only the best `n` are
    /// kept — no score table over every match, and ids are looked up for the winners only.
    pub fn search(&self, query: &str, allowed: Option<&IdSet>, n: usize) -> Vec<(Uuid, f64)> {
        let mut words = terms(query);
        words.sort();
        words.dedup();
        let count = self.docs.len() as f32;
        if count == 0.0 || n == 0 {
            return Vec::new();
        }
        let avg_len = (self.total_len as f32 / count).max(1.0);
        let mut cursors: Vec<Cursor> = words
            .iter()
            .filter_map(|w| self.postings.get(w))
            .map(|list| {
                let df = list.len() as f32;
                let idf = (1.0 + (count - df + 0.5) / (df + 0.5)).ln();
                Cursor { list, at: 0, idf }
            })
            .collect();
        let mut top = TopN::new(n);
        // The smallest document any list is at; every list at it contributes.
        while let Some(doc) = cursors
            .iter()
            .filter_map(|c| c.list.get(c.at).map(|p| p.doc))
            .min()
        {
            let mut score = 0f32;
            for c in &mut cursors {
                if let Some(p) = c.list.get(c.at).filter(|p| p.doc == doc) {
                    let (tf, len) = (p.tf as f32, p.len as f32);
                    score += c.idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / avg_len));
                    c.at += 1;
                }
            }
            let admitted = allowed.is_none_or(|a| a.contains(&self.docs[&doc].id));
            if admitted {
                top.offer(score, doc as usize);
            }
        }
        let mut ranked: Vec<(Uuid, f64)> = top
            .heap
            .into_iter()
            .map(|std::cmp::Reverse((s, doc))| (self.docs[&(doc as u32)].id, f64::from(s.0)))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_stemmed_lower_case_words_without_stop_words() {
        assert_eq!(
            terms("What did Caroline RESEARCH? Running, runs!"),
            ["carolin", "research", "run", "run"]
        );
    }

    #[test]
    fn bm25_prefers_rare_words_and_forgets_removed_documents() {
        let mut shard = TextShard::default();
        let ids: Vec<Uuid> = (0..4).map(|_| Uuid::new_v4()).collect();
        shard.upsert(ids[0], "we went camping by the lake");
        shard.upsert(ids[1], "the lake was cold");
        shard.upsert(ids[2], "adoption agencies interview camping families");
        shard.upsert(ids[3], "the lake, the lake, the lake");
        let hits = shard.search("adoption near the lake", None, 10);
        assert_eq!(hits[0].0, ids[2], "the rare word wins: {hits:?}");
        assert_eq!(hits.len(), 4);
        shard.remove(ids[2]);
        assert!(shard.search("adoption", None, 10).is_empty());
        shard.upsert(ids[1], "now it is about adoption");
        assert_eq!(
            shard.search("adoption", None, 10)[0].0,
            ids[1],
            "replaced text"
        );
        assert!(
            shard.search("cold", None, 10).is_empty(),
            "old text forgotten"
        );
        let only: IdSet = [ids[0]].into_iter().collect();
        let hits = shard.search("lake", Some(&only), 10);
        assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), [ids[0]]);
        for id in &ids {
            shard.remove(*id);
        }
        assert!(shard.is_empty() && shard.postings.is_empty() && shard.total_len == 0);
        assert_eq!(shard.bytes(), 0, "every estimated byte given back");
    }
}

/// Keeps the `n` best `(score, slot)` pairs seen.
struct TopN {
    n: usize,
    heap: std::collections::BinaryHeap<std::cmp::Reverse<(OrdF32, usize)>>,
}

/// A score ordered by `total_cmp`, so it can live in a heap.
#[derive(Clone, Copy)]
struct OrdF32(f32);
impl PartialEq for OrdF32 {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for OrdF32 {}
impl PartialOrd for OrdF32 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrdF32 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl TopN {
    fn new(n: usize) -> Self {
        Self {
            n,
            heap: std::collections::BinaryHeap::with_capacity(n + 1),
        }
    }

    #[inline(always)]
    fn offer(&mut self, score: f32, slot: usize) {
        if self.heap.len() < self.n {
            self.heap.push(std::cmp::Reverse((OrdF32(score), slot)));
        } else if let Some(worst) = self.heap.peek() {
            if score > worst.0 .0 .0 {
                self.heap.pop();
                self.heap.push(std::cmp::Reverse((OrdF32(score), slot)));
            }
        }
    }
}
