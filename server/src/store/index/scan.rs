//! The scan's arithmetic: one sign bit per dimension, the bit-difference (Hamming) scan that
//! picks candidates, and the exact similarities that order them.
//!
//! Why sign bits: the scan reads every row of a tenant on every search, and at 10⁵ rows int8
//! codes (38 MB) stream the model's weights out of the cache, slowing the query embedding that
//! follows (`bench --bin scan`). Sign bits are 48 bytes per 384-d vector (4.8 MB at 10⁵ rows):
//! the scan is cheap and leaves the cache to the model. The bits only pick candidates — many more than are asked for —
//! and the f32 vectors decide the order, so reported similarities stay exact.

/// The sign bits of `v`, 64 to a word, `v.len().div_ceil(64)` words: bit `i` is set when
/// `v[i] > 0`. Unused bits of the last word stay zero in every row, so they never differ.
pub(super) fn sign_bits(v: &[f32]) -> Vec<u64> {
    let mut words = vec![0u64; v.len().div_ceil(64)];
    for (i, x) in v.iter().enumerate() {
        if *x > 0.0 {
            words[i / 64] |= 1 << (i % 64);
        }
    }
    words
}

/// The rows one scan reads.
#[derive(Clone, Copy)]
pub(super) enum Part<'a> {
    /// These slots.
    Slots(&'a [usize]),
    /// Every slot.
    All,
}

/// The `want` rows whose sign bits differ least from `q`'s, in no order; of rows tied at the cut,
/// the first read. `bits` holds the rows, `q.len()` words each.
pub(super) fn nearest_bits(q: &[u64], bits: &[u64], part: Part<'_>, want: usize) -> Vec<usize> {
    // Compiled once per instruction set and picked at run time (pulp): the default x86-64 target
    // has no POPCNT instruction, and counting bits without it takes several instructions a word.
    let distances = pulp::Arch::new().dispatch(Distances { q, bits, part });
    let slot = |i: usize| match part {
        Part::Slots(slots) => slots[i],
        Part::All => i,
    };
    if distances.len() <= want {
        return (0..distances.len()).map(slot).collect();
    }
    // Distances are small integers: count them, find the distance at which `want` is reached,
    // and take every row below it plus as many at it as fit. Two passes, no heap.
    let mut counts = vec![0usize; q.len() * 64 + 1];
    for &d in &distances {
        counts[usize::from(d)] += 1;
    }
    let (mut cut, mut below) = (0, 0);
    while below + counts[cut] < want {
        below += counts[cut];
        cut += 1;
    }
    let mut at_cut = want - below;
    let mut out = Vec::with_capacity(want);
    for (i, &d) in distances.iter().enumerate() {
        let d = usize::from(d);
        if d < cut {
            out.push(slot(i));
        } else if d == cut && at_cut > 0 {
            at_cut -= 1;
            out.push(slot(i));
        }
    }
    out
}

struct Distances<'a> {
    q: &'a [u64],
    bits: &'a [u64],
    part: Part<'a>,
}

impl pulp::WithSimd for Distances<'_> {
    /// Bits differing from the query, per row read, in the order read.
    type Output = Vec<u16>;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> Self::Output {
        // Plain loops, no closures: a closure is compiled on its own, without the instruction
        // set this function was dispatched for.
        let (q, words) = (self.q, self.q.len());
        match self.part {
            Part::Slots(slots) => {
                let mut out = Vec::with_capacity(slots.len());
                for &slot in slots {
                    let row = &self.bits[slot * words..(slot + 1) * words];
                    let mut d = 0;
                    for w in 0..words {
                        d += (q[w] ^ row[w]).count_ones();
                    }
                    out.push(d as u16);
                }
                out
            }
            Part::All => {
                let mut out = Vec::with_capacity(self.bits.len() / words.max(1));
                for row in self.bits.chunks_exact(words) {
                    let mut d = 0;
                    for w in 0..words {
                        d += (q[w] ^ row[w]).count_ones();
                    }
                    out.push(d as u16);
                }
                out
            }
        }
    }
}

/// Exact similarities of the query to `slots`' f32 vectors (`vectors` holds the rows, `q.len()`
/// wide), in the order given.
pub(super) fn similarities(q: &[f32], vectors: &[f32], slots: &[usize]) -> Vec<f32> {
    pulp::Arch::new().dispatch(Similarities { q, vectors, slots })
}

struct Similarities<'a> {
    q: &'a [f32],
    vectors: &'a [f32],
    slots: &'a [usize],
}

impl pulp::WithSimd for Similarities<'_> {
    type Output = Vec<f32>;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> Self::Output {
        let dims = self.q.len();
        let mut out = Vec::with_capacity(self.slots.len());
        for &slot in self.slots {
            out.push(crate::embed::dot(
                self.q,
                &self.vectors[slot * dims..(slot + 1) * dims],
            ));
        }
        out
    }
}
