//! Unit tests of the layout, the scan and its recall.

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
fn in_memory(dims: usize, inner: Inner) -> SearchIndex {
    SearchIndex {
        dims,
        backend: DbBackend::Sqlite,
        inner: RwLock::new(inner),
        cursor: tokio::sync::Mutex::new(log::Cursor::default()),
        reloads: AtomicU64::new(0),
        residents: None,
    }
}

#[test]
fn sign_bits_differ_where_signs_differ() {
    for dims in [8, 64, 100, 384] {
        let (a, b) = (unit(1, dims), unit(2, dims));
        let differing = a
            .iter()
            .zip(&b)
            .filter(|(x, y)| (**x > 0.0) != (**y > 0.0))
            .count();
        let (qa, qb) = (sign_bits(&a), sign_bits(&b));
        assert_eq!(qa.len(), dims.div_ceil(64));
        let counted: u32 = qa.iter().zip(&qb).map(|(x, y)| (x ^ y).count_ones()).sum();
        assert_eq!(counted as usize, differing, "{dims} dimensions");
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
            created_at: crate::store::now(),
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
    let facts = index.lookup("a", &[ids[1], ids[0]], None, &[]);
    assert_eq!(facts.len(), 1, "removed ids are not found");
    assert_eq!(facts[&ids[1]].0.importance, 0.99);
    assert!(
        index.lookup("b", &[ids[1]], None, &[]).is_empty(),
        "lookups stay in the tenant"
    );
}

/// Vectors in clusters, as embeddings of related texts are: `center` plus noise, normalised.
fn clustered(seed: u64, center: &[f32]) -> Vec<f32> {
    let noise = unit(seed, center.len());
    let mut v: Vec<f32> = center
        .iter()
        .zip(&noise)
        .map(|(c, n)| c + 0.9 * n)
        .collect();
    crate::embed::normalize(&mut v);
    v
}

#[test]
fn the_bit_scan_with_its_re_rank_finds_what_an_exact_scan_finds() {
    let dims = 384;
    let centers: Vec<Vec<f32>> = (0..100).map(|c| unit(1_000_000 + c, dims)).collect();
    let mut inner = Inner::default();
    let rows: Vec<Row> = (0..20_000)
        .map(|i| Row {
            id: Uuid::new_v4(),
            tenant: "t".into(),
            vector: clustered(i, &centers[i as usize % centers.len()]),
            facts: Facts {
                importance: 0.5,
                created_at: crate::store::now(),
            },
        })
        .collect();
    for r in &rows {
        inner.upsert(r, dims);
    }
    let index = in_memory(dims, inner);
    // Half of every cluster: rows 0–99, 200–299, … (row i is in cluster i mod 100).
    let half: Vec<Uuid> = rows
        .iter()
        .enumerate()
        .filter(|(i, _)| (i / 100) % 2 == 0)
        .map(|(_, r)| r.id)
        .collect();
    let half_set: HashSet<Uuid> = half.iter().copied().collect();
    for allowed in [None, Some(&half[..])] {
        let mut found = 0;
        for q in 0..20 {
            let query = clustered(50_000 + q, &centers[q as usize * 3]);
            let mut exact: Vec<(Uuid, f32)> = rows
                .iter()
                .filter(|r| allowed.is_none() || half_set.contains(&r.id))
                .map(|r| (r.id, crate::embed::dot(&query, &r.vector)))
                .collect();
            exact.sort_by(|a, b| b.1.total_cmp(&a.1));
            let got = index.search("t", &query, allowed, 100);
            assert_eq!(got.len(), 100);
            for (id, similarity) in &got {
                let truth = exact.iter().find(|e| e.0 == *id).expect("an allowed row");
                assert!((truth.1 - similarity).abs() < 1e-5, "exact similarities");
            }
            found += exact[..100]
                .iter()
                .filter(|e| got.iter().any(|g| g.0 == e.0))
                .count();
        }
        assert!(
            found >= 1980,
            "recall@100 {found}/2000, filtered: {}",
            allowed.is_some()
        );
    }
}

#[test]
fn the_bit_scan_picks_exactly_the_rows_that_differ_least() {
    // With and without a slot filter: every row picked differs from the query in no more bits
    // than any row left out, and exactly as many rows as asked are picked.
    let dims = 100;
    let rows = 5_000;
    let bits: Vec<u64> = (0..rows)
        .flat_map(|i| sign_bits(&unit(i as u64, dims)))
        .collect();
    let q = sign_bits(&unit(7_777_777, dims));
    let w = q.len();
    let distance = |slot: usize| -> u32 {
        q.iter()
            .zip(&bits[slot * w..(slot + 1) * w])
            .map(|(a, b)| (a ^ b).count_ones())
            .sum()
    };
    let evens: Vec<usize> = (0..rows).step_by(2).collect();
    for slots in [None, Some(evens.as_slice())] {
        let part = slots.map_or(Part::All, Part::Slots);
        let got = nearest_bits(&q, &bits, part, 300);
        assert_eq!(got.len(), 300);
        let picked: HashSet<usize> = got.iter().copied().collect();
        assert_eq!(picked.len(), 300, "no row twice");
        let candidates: Vec<usize> = slots.map_or_else(|| (0..rows).collect(), <[usize]>::to_vec);
        let worst_in = got.iter().map(|&s| distance(s)).max().unwrap();
        let best_out = candidates
            .iter()
            .filter(|s| !picked.contains(s))
            .map(|&s| distance(s))
            .min()
            .unwrap();
        assert!(worst_in <= best_out, "{worst_in} > {best_out}");
        assert!(
            picked.iter().all(|s| candidates.contains(s)),
            "only allowed slots"
        );
    }
}
