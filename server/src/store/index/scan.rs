//! The scan's arithmetic: int8 quantisation, the integer dot product, the scan over a shard's
//! rows and a bounded top-n.

/// Scales `v` so its largest component maps to ±127.
pub(super) fn quantize(v: &[f32]) -> (Vec<i8>, f32) {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    if max == 0.0 {
        return (vec![0; v.len()], 0.0);
    }
    let k = 127.0 / max;
    let code = v.iter().map(|x| (x * k).round() as i8).collect();
    (code, max / 127.0)
}

/// Integer dot product of two code rows. Written as fixed-width chunks with independent
/// accumulators, which the compiler turns into packed multiply-adds.
#[inline(always)]
pub(super) fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    let mut acc = [0i32; 16];
    let chunks = a.len() / 16;
    for c in 0..chunks {
        let (x, y) = (&a[c * 16..c * 16 + 16], &b[c * 16..c * 16 + 16]);
        for k in 0..16 {
            acc[k] += i32::from(x[k]) * i32::from(y[k]);
        }
    }
    let mut sum: i32 = acc.iter().sum();
    for k in chunks * 16..a.len() {
        sum += i32::from(a[k]) * i32::from(b[k]);
    }
    sum
}

/// Below this many rows one thread scans: starting a second costs more than it saves.
const SPLIT_ABOVE: usize = 20_000;

/// The `pool` rows most similar to the query code `q`: among `slots`, or every row when `None`.
/// `codes` holds the rows, `dims` wide; `scales` their scale factors. Large scans are split in
/// two halves on two threads: by the time the vector retriever runs, the lexical one (which
/// ran beside the query's embedding) is done and the second core is free.
pub(super) fn best_rows(
    q: &[i8],
    codes: &[i8],
    scales: &[f32],
    slots: Option<&[usize]>,
    pool: usize,
) -> Vec<usize> {
    let rows = slots.map_or(scales.len(), <[usize]>::len);
    let scan = |part: Part| {
        // Compiled once per instruction set and picked at run time (pulp): the default x86-64
        // target has only SSE2, and the same loop with AVX2 scans 100k rows in 4.6 ms instead
        // of 7.3–8.7 (measured here), without `unsafe` in this crate.
        pulp::Arch::new().dispatch(Scan {
            q,
            codes,
            scales,
            part,
            pool,
        })
    };
    let halves = |mid: usize| match slots {
        Some(s) => (Part::Slots(&s[..mid]), Part::Slots(&s[mid..])),
        None => (Part::Range(0, mid), Part::Range(mid, rows)),
    };
    if rows <= SPLIT_ABOVE {
        let (_, all) = halves(0);
        return scan(all).into_iter().map(|(_, slot)| slot).collect();
    }
    let (first, second) = halves(rows / 2);
    let (mut a, b) = std::thread::scope(|s| {
        let other = s.spawn(|| scan(second));
        (scan(first), other.join().expect("scan thread"))
    });
    a.extend(b);
    a.sort_unstable_by(|x, y| y.0.total_cmp(&x.0));
    a.truncate(pool);
    a.into_iter().map(|(_, slot)| slot).collect()
}

/// The rows one scan reads.
#[derive(Clone, Copy)]
enum Part<'a> {
    /// These slots.
    Slots(&'a [usize]),
    /// Slots `start..end`.
    Range(usize, usize),
}

struct Scan<'a> {
    q: &'a [i8],
    codes: &'a [i8],
    scales: &'a [f32],
    part: Part<'a>,
    pool: usize,
}

impl pulp::WithSimd for Scan<'_> {
    /// The best `(score, slot)` pairs, in no order.
    type Output = Vec<(f32, usize)>;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> Self::Output {
        // Plain loops, no closures: a closure is compiled on its own, without the instruction
        // set this function was dispatched for (measured: 16 ms instead of 3 at 100k rows).
        let dims = self.q.len();
        let mut top = TopN::new(self.pool);
        match self.part {
            Part::Slots(slots) => {
                for &slot in slots {
                    let code = &self.codes[slot * dims..(slot + 1) * dims];
                    top.offer(dot_i8(self.q, code) as f32 * self.scales[slot], slot);
                }
            }
            Part::Range(start, end) => {
                let codes = &self.codes[start * dims..end * dims];
                for (i, code) in codes.chunks_exact(dims).enumerate() {
                    let slot = start + i;
                    top.offer(dot_i8(self.q, code) as f32 * self.scales[slot], slot);
                }
            }
        }
        top.heap
            .into_iter()
            .map(|std::cmp::Reverse((score, slot))| (score.0, slot))
            .collect()
    }
}

/// Keeps the `n` best `(score, slot)` pairs seen.
pub(super) struct TopN {
    n: usize,
    pub(super) heap: std::collections::BinaryHeap<std::cmp::Reverse<(OrdF32, usize)>>,
}

/// A score ordered by `total_cmp`, so it can live in a heap.
#[derive(Clone, Copy)]
pub(super) struct OrdF32(pub(super) f32);
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
    pub(super) fn new(n: usize) -> Self {
        Self {
            n,
            heap: std::collections::BinaryHeap::with_capacity(n + 1),
        }
    }

    #[inline(always)]
    pub(super) fn offer(&mut self, score: f32, slot: usize) {
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
