//! Unit tests of the layout, the scan and its recall.

use chrono::Utc;

use super::{scan::*, *};

fn unit(seed: u64, dims: usize) -> Vec<f32> {
    // A small deterministic generator: no test depends on a random crate's sequence.
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut v: Vec<f32> = (0..dims)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((x >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        })
        .collect();
    crate::embed::normalize(&mut v);
    v
}

/// An embedded-mode index over `inner`, with no database behind it.
fn in_memory(dims: usize, inner: Inner) -> MemoryIndex {
    MemoryIndex {
        dims,
        backend: DbBackend::Sqlite,
        inner: RwLock::new(inner),
        cursor: tokio::sync::Mutex::new(log::Cursor::default()),
        reloads: AtomicU64::new(0),
    }
}

#[test]
fn int8_scores_stay_close_to_exact_cosine() {
    let dims = 384;
    let q = unit(1, dims);
    for seed in 2..50 {
        let v = unit(seed, dims);
        let (qc, qs) = quantize(&q);
        let (vc, vs) = quantize(&v);
        let approx = dot_i8(&qc, &vc) as f32 * qs * vs;
        let exact = crate::embed::dot(&q, &v);
        assert!((approx - exact).abs() < 0.01, "{approx} vs {exact}");
    }
}

#[test]
fn upsert_remove_and_scan_keep_slots_consistent() {
    let dims = 8;
    let mut inner = Inner::default();
    let ids: Vec<Uuid> = (0..5).map(|_| Uuid::new_v4()).collect();
    let row = |i: usize, tenant: &str, seed: u64| Row {
        id: ids[i],
        tenant: tenant.into(),
        vector: unit(seed, dims),
        facts: Facts {
            importance: seed as f64 / 100.0,
            created_at: Utc::now(),
        },
    };
    for i in 0..5 {
        inner.upsert(&row(i, if i < 4 { "a" } else { "b" }, i as u64), dims);
    }
    inner.remove(ids[0], dims); // moves the last of "a" into slot 0
    inner.upsert(&row(1, "a", 99), dims); // replaced in place
    inner.upsert(&row(4, "a", 4), dims); // moved between tenants
    for (id, (tenant, slot)) in &inner.slots {
        assert_eq!(inner.shards[tenant].ids[*slot], *id);
    }
    assert_eq!(inner.shards["a"].ids.len(), 4);
    assert!(!inner.shards.contains_key("b"), "empty shards are dropped");
    let index = in_memory(dims, inner);
    let hits = index.search("a", &unit(99, dims), None, 2);
    assert_eq!(
        hits[0].0, ids[1],
        "the replaced vector is found by its new value"
    );
    assert!(
        (hits[0].1 - 1.0).abs() < 1e-5,
        "exact similarity after the re-rank"
    );
    let only = index.search("a", &unit(99, dims), Some(&[ids[2]]), 10);
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].0, ids[2]);
    assert!(index.search("b", &unit(1, dims), None, 3).is_empty());
    let facts = index.lookup("a", &[ids[1], ids[0]], &[]);
    assert_eq!(facts.len(), 1, "removed ids are not found");
    assert_eq!(facts[&ids[1]].0.importance, 0.99);
    assert!(
        index.lookup("b", &[ids[1]], &[]).is_empty(),
        "lookups stay in the tenant"
    );
}

#[test]
fn the_int8_scan_finds_what_an_exact_scan_finds() {
    let dims = 64;
    let mut inner = Inner::default();
    let rows: Vec<Row> = (0..3000)
        .map(|i| Row {
            id: Uuid::new_v4(),
            tenant: "t".into(),
            vector: unit(i, dims),
            facts: Facts {
                importance: 0.5,
                created_at: Utc::now(),
            },
        })
        .collect();
    for r in &rows {
        inner.upsert(r, dims);
    }
    let index = in_memory(dims, inner);
    let mut found = 0;
    for q in 0..20 {
        let query = unit(10_000 + q, dims);
        let mut exact: Vec<(Uuid, f32)> = rows
            .iter()
            .map(|r| (r.id, crate::embed::dot(&query, &r.vector)))
            .collect();
        exact.sort_by(|a, b| b.1.total_cmp(&a.1));
        let got = index.search("t", &query, None, 10);
        found += exact[..10]
            .iter()
            .filter(|e| got.iter().any(|g| g.0 == e.0))
            .count();
    }
    assert!(found >= 198, "recall@10 {found}/200");
}

#[test]
fn a_scan_split_over_two_threads_picks_the_same_rows_as_one() {
    // Above the split size, with and without a slot filter: the two halves' best rows, merged,
    // are the best rows of the whole.
    let dims = 16;
    let rows = 50_000;
    let mut codes = Vec::with_capacity(rows * dims);
    let mut scales = Vec::with_capacity(rows);
    for i in 0..rows {
        let (code, scale) = quantize(&unit(i as u64, dims));
        codes.extend(code);
        scales.push(scale);
    }
    let (q, _) = quantize(&unit(7_777_777, dims));
    let score =
        |slot: usize| dot_i8(&q, &codes[slot * dims..(slot + 1) * dims]) as f32 * scales[slot];
    let evens: Vec<usize> = (0..rows).step_by(2).collect();
    for slots in [None, Some(evens.as_slice())] {
        let candidates: Vec<usize> = slots.map_or_else(|| (0..rows).collect(), <[usize]>::to_vec);
        let mut exact: Vec<f32> = candidates.iter().map(|&s| score(s)).collect();
        exact.sort_by(|a, b| b.total_cmp(a));
        let got = best_rows(&q, &codes, &scales, slots, 300);
        assert_eq!(got.len(), 300);
        if slots.is_some() {
            assert!(got.iter().all(|s| s % 2 == 0), "only allowed slots");
        }
        let mut got: Vec<f32> = got.iter().map(|&s| score(s)).collect();
        got.sort_by(|a, b| b.total_cmp(a));
        assert_eq!(got, exact[..300], "slots filter: {}", slots.is_some());
    }
}
