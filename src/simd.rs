//! Vector kernels (AVX2 on x86_64), the crate's only unsafe code.
//!
//! Each kernel has a scalar twin that gives the same answer and runs where
//! AVX2 is missing; the tests compare the two on this machine. The unsafe
//! parts are the intrinsics themselves (sound because each kernel takes an [`Avx2`], which only exists once the CPU said it has the instructions)
//! and unaligned loads and stores whose bounds are checked right above
//! them.
#![allow(unsafe_code)]

/// Bits in the gram bitmap of [`gram_scan`]: 2^18 bits = 32 KiB, inside a
/// 48 KiB L1 cache. The kernels hash positions into it, so the constant
/// belongs to them; the prefilter sizes its bitmap from it.
pub(crate) const GRAM_BITS: u32 = 18;

/// Words of the gram bitmap.
pub(crate) const GRAM_WORDS: usize = 1 << (GRAM_BITS - 6);

/// Proof that this CPU has AVX2 (and POPCNT, which every AVX2 CPU has).
///
/// The only way to get one is [`Avx2::detect`], which asks the CPU; every
/// vector kernel takes one, so no kernel can run where the CPU lacks the
/// instructions (a `debug_assert!` would not hold that in release builds).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx2 {
    _checked: (),
}

impl Avx2 {
    /// `Some` when the CPU has AVX2 and POPCNT.
    pub(crate) fn detect() -> Option<Avx2> {
        #[cfg(target_arch = "x86_64")]
        let yes = std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("popcnt");
        #[cfg(not(target_arch = "x86_64"))]
        let yes = false;
        yes.then_some(Avx2 { _checked: () })
    }
}

/// The gram loop of the prefilter in AVX2: 8 positions per step, hashed
/// with one vector multiply and tested with one gather from the bitmap.
/// About 1.6 times the scalar loop's throughput; the scalar loop finishes
/// the tail and runs where AVX2 is missing. Both give the same hits, in the
/// same order.
///
/// Tests the grams at positions `0..n` of `hay`, calling `hit(i, hash)`
/// for each whose bit is set, in order; returns `n`.
#[cfg(target_arch = "x86_64")]
pub(crate) fn gram_scan(
    _cpu: Avx2,
    bits: &[u64; GRAM_WORDS],
    hay: &[u8],
    hit: &mut impl FnMut(usize, u32),
) -> usize {
    // SAFETY: `_cpu` proves that the CPU has AVX2.
    unsafe { scan_avx2(bits, hay, hit) }
}

/// Without x86_64 there is no vector loop (and no [`Avx2`]).
#[cfg(not(target_arch = "x86_64"))]
pub(crate) fn gram_scan(
    _: Avx2,
    _: &[u64; GRAM_WORDS],
    _: &[u8],
    _: &mut impl FnMut(usize, u32),
) -> usize {
    0
}

/// Candidates of [`gram_scan_dense`]: positions and their gram hashes.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) pos: [u32; PENDING],
    pub(crate) hash: [u32; PENDING],
}

impl Default for Pending {
    fn default() -> Pending {
        Pending {
            pos: [0; PENDING],
            hash: [0; PENDING],
        }
    }
}

/// Candidates collected per call of [`gram_scan_dense`].
pub(crate) const PENDING: usize = 256;

/// [`gram_scan`] for text dense with keywords, where about every other
/// group of 8 positions has a set bit (a branch on each would then be
/// mispredicted): appends the set positions to `out` with a shuffle,
/// without branching, from position `from` on, until `out` is nearly full
/// or fewer than 16 bytes are left. Returns where it stopped and how many
/// candidates it wrote, in order. The caller checks them in a tight loop,
/// then calls again from there. Positions are kept as `u32`: a haystack
/// whose length does not fit an `i32` gets no candidates (the caller's
/// scalar loop then does the work).
#[cfg(target_arch = "x86_64")]
pub(crate) fn gram_scan_dense(
    _cpu: Avx2,
    bits: &[u64; GRAM_WORDS],
    hay: &[u8],
    from: usize,
    out: &mut Pending,
) -> (usize, usize) {
    if i32::try_from(hay.len()).is_err() {
        return (from, 0);
    }
    // SAFETY: `_cpu` proves that the CPU has AVX2.
    unsafe { scan_dense_avx2(bits, hay, from, out) }
}

/// Without x86_64 there is no vector loop (and no [`Avx2`]).
#[cfg(not(target_arch = "x86_64"))]
pub(crate) fn gram_scan_dense(
    _: Avx2,
    _: &[u64; GRAM_WORDS],
    _: &[u8],
    from: usize,
    _: &mut Pending,
) -> (usize, usize) {
    (from, 0)
}

/// For each 8-bit mask, the indices of its set bits, in order.
#[cfg(target_arch = "x86_64")]
const COMPRESS: [[u8; 8]; 256] = {
    let mut t = [[0u8; 8]; 256];
    let mut m = 0;
    while m < 256 {
        let (mut n, mut j) = (0, 0);
        while j < 8 {
            if m & (1 << j) != 0 {
                t[m][n] = j as u8;
                n += 1;
            }
            j += 1;
        }
        m += 1;
    }
    t
};

/// The hashes of the 8 grams at `hay[i..i + 10]` and which of them have
/// their bit set in the bitmap (lane j: 1 or 0). The bytes `i..i + 16` must
/// be in bounds.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn hash_and_test(
    bits: &[u64; GRAM_WORDS],
    hay: &[u8],
    i: usize,
) -> (std::arch::x86_64::__m256i, std::arch::x86_64::__m256i) {
    use std::arch::x86_64::*;
    debug_assert!(i + 16 <= hay.len());
    // Position j of the 8 takes bytes j, j+1, j+2 of a 16-byte load
    // (copied to both halves), the fourth byte zeroed (-128).
    let gather = _mm256_setr_epi8(
        0, 1, 2, -128, 1, 2, 3, -128, 2, 3, 4, -128, 3, 4, 5, -128, 4, 5, 6, -128, 5, 6, 7, -128,
        6, 7, 8, -128, 7, 8, 9, -128,
    );
    // SAFETY: the caller keeps `i + 16 <= hay.len()`; the load is
    // unaligned.
    let v = unsafe { _mm_loadu_si128(hay.as_ptr().add(i).cast()) };
    let g = _mm256_or_si256(
        _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(v), gather),
        _mm256_set1_epi32(0x0020_2020),
    );
    // The same hash as `gram_hash`: low 32 bits of the product, top
    // GRAM_BITS (18) of them.
    let h = _mm256_srli_epi32::<{ 32 - GRAM_BITS as i32 }>(_mm256_mullo_epi32(
        g,
        _mm256_set1_epi32(0x9e37_79b1_u32 as i32),
    ));
    // The bitmap as 32-bit words: bit h is bit h % 32 of word h / 32
    // (x86_64 is little-endian).
    // SAFETY: every index is h / 32 < 2^18 / 32 = 8192, the number of
    // 32-bit words in the 4096-word bitmap.
    let w = unsafe {
        _mm256_i32gather_epi32::<4>(bits.as_ptr().cast::<i32>(), _mm256_srli_epi32::<5>(h))
    };
    let set = _mm256_and_si256(
        _mm256_srlv_epi32(w, _mm256_and_si256(h, _mm256_set1_epi32(31))),
        _mm256_set1_epi32(1),
    );
    (h, set)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn scan_avx2(
    bits: &[u64; GRAM_WORDS],
    hay: &[u8],
    hit: &mut impl FnMut(usize, u32),
) -> usize {
    use std::arch::x86_64::*;
    let mut i = 0;
    while i + 16 <= hay.len() {
        // SAFETY: `i + 16 <= hay.len()`.
        let (h, set) = unsafe { hash_and_test(bits, hay, i) };
        if _mm256_testz_si256(set, set) == 0 {
            let mask = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_slli_epi32::<31>(set)));
            let mut hs = [0u32; 8];
            // SAFETY: `hs` holds exactly 32 bytes; the store is unaligned.
            unsafe { _mm256_storeu_si256(hs.as_mut_ptr().cast(), h) };
            report(i, mask as u32, &hs, hit);
        }
        i += 8;
    }
    i
}

/// Call `hit` for the positions of a group of 8 whose bits are set in
/// `mask`. Kept out of line: where set bits are rare, the loop that calls
/// it then keeps its state in registers.
#[cfg(target_arch = "x86_64")]
#[inline(never)]
fn report(i: usize, mut mask: u32, hashes: &[u32; 8], hit: &mut impl FnMut(usize, u32)) {
    while mask != 0 {
        let j = mask.trailing_zeros() as usize;
        hit(i + j, hashes[j]);
        mask &= mask - 1;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt")]
unsafe fn scan_dense_avx2(
    bits: &[u64; GRAM_WORDS],
    hay: &[u8],
    from: usize,
    out: &mut Pending,
) -> (usize, usize) {
    use std::arch::x86_64::*;
    let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    let mut n = 0;
    let mut i = from;
    while i + 16 <= hay.len() && n <= PENDING - 8 {
        // SAFETY: `i + 16 <= hay.len()`.
        let (h, set) = unsafe { hash_and_test(bits, hay, i) };
        let mask = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_slli_epi32::<31>(set)));
        let mask = mask as u8 as usize;
        // SAFETY: the table row holds 8 bytes.
        let order = unsafe { _mm_loadl_epi64(COMPRESS[mask].as_ptr().cast()) };
        let order = _mm256_cvtepu8_epi32(order);
        // `i` fits an i32: the caller checked the haystack's length.
        let pos = _mm256_add_epi32(_mm256_set1_epi32(i as i32), lanes);
        // SAFETY: `n <= PENDING - 8` (the loop's condition), so 8 lanes
        // fit at `n` in both arrays.
        unsafe {
            _mm256_storeu_si256(
                out.hash.as_mut_ptr().add(n).cast(),
                _mm256_permutevar8x32_epi32(h, order),
            );
            _mm256_storeu_si256(
                out.pos.as_mut_ptr().add(n).cast(),
                _mm256_permutevar8x32_epi32(pos, order),
            );
        }
        n += mask.count_ones() as usize;
        i += 8;
    }
    (i, n)
}

/// A byte class as two 16-byte tables for a nibble lookup: byte `b` is in
/// the class when `lo[b & 15] & hi[b >> 4] != 0`. Each distinct non-empty
/// row (the low nibbles in the class for one high nibble) takes one of the
/// 8 bits, so a class with more than 8 distinct rows has no such form.
#[derive(Debug, Clone)]
pub(crate) struct NibbleClass {
    lo: [u8; 16],
    hi: [u8; 16],
}

impl NibbleClass {
    /// The nibble tables of `class`, if it has at most 8 distinct rows.
    pub(crate) fn new(class: &[bool; 256]) -> Option<NibbleClass> {
        let mut rows: Vec<u16> = Vec::new();
        let (mut lo, mut hi) = ([0u8; 16], [0u8; 16]);
        for h in 0..16 {
            let row = (0..16)
                .filter(|l| class[h * 16 + l])
                .fold(0u16, |r, l| r | 1 << l);
            if row == 0 {
                continue;
            }
            let bit = match rows.iter().position(|&r| r == row) {
                Some(b) => b,
                None if rows.len() == 8 => return None,
                None => {
                    rows.push(row);
                    rows.len() - 1
                }
            };
            hi[h] = 1 << bit;
            for (l, lo) in lo.iter_mut().enumerate() {
                if row & (1 << l) != 0 {
                    *lo |= 1 << bit;
                }
            }
        }
        Some(NibbleClass { lo, hi })
    }
}

/// A cheap necessary condition for a run of `n` set bits in a word: a run
/// of `n` bits holds a whole aligned lane of `k` bits, for the largest
/// power of two `k` with `2k - 1 <= n`. A lane of `m` is all ones when that
/// lane of `!m` is zero, which the "has a zero lane" trick finds. Holds the
/// trick's two constants (lowest and highest bit of each lane); all zero
/// when `n < 3`, where there is nothing to gain.
#[derive(Clone, Copy)]
struct Lanes(u64, u64);

impl Lanes {
    fn new(n: usize) -> Lanes {
        let half = n.div_ceil(2);
        if half < 2 {
            return Lanes(0, 0);
        }
        let k = 1u32 << (usize::BITS - 1 - half.leading_zeros()).min(5);
        let low = u64::MAX / ((1u128 << k) - 1) as u64;
        Lanes(low, low << (k - 1))
    }

    /// False when `m` cannot hold the run.
    #[inline(always)]
    fn may_hold(self, m: u64) -> bool {
        let x = !m;
        self.1 == 0 || x.wrapping_sub(self.0) & !x & self.1 != 0
    }
}

/// Whether `m` has `n` (1..=64) consecutive set bits.
fn has_run(m: u64, n: usize) -> bool {
    if !Lanes::new(n).may_hold(m) {
        return false;
    }
    let (mut x, mut len) = (m, 1);
    while len < n {
        let shift = len.min(n - len);
        x &= x >> shift;
        len += shift;
    }
    x != 0
}

/// Skip, 64 bytes at a time, to where a run of at least `n` bytes of the
/// class may start: no such run lies wholly in `hay[at..result]`, so a
/// scalar search for the first run may start from the result.
#[cfg(target_arch = "x86_64")]
pub(crate) fn run_skip(_cpu: Avx2, class: &NibbleClass, hay: &[u8], at: usize, n: usize) -> usize {
    // SAFETY: `_cpu` proves that the CPU has AVX2.
    unsafe { run_skip_avx2(class, hay, at, n) }
}

/// Without x86_64 there is nothing to skip with (and no [`Avx2`]).
#[cfg(not(target_arch = "x86_64"))]
pub(crate) fn run_skip(_: Avx2, _: &NibbleClass, _: &[u8], at: usize, _: usize) -> usize {
    at
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn run_skip_avx2(class: &NibbleClass, hay: &[u8], at: usize, n: usize) -> usize {
    use std::arch::x86_64::*;
    // SAFETY: both tables hold 16 bytes; the loads are unaligned.
    let (lo, hi) = unsafe {
        (
            _mm256_broadcastsi128_si256(_mm_loadu_si128(class.lo.as_ptr().cast())),
            _mm256_broadcastsi128_si256(_mm_loadu_si128(class.hi.as_ptr().cast())),
        )
    };
    let nibble = _mm256_set1_epi8(0x0f);
    // Bit j: byte `p + j` is in the class.
    let mask = |p: usize| {
        // SAFETY: the callers keep `p + 32 <= hay.len()`; the load is
        // unaligned.
        let v = unsafe { _mm256_loadu_si256(hay.as_ptr().add(p).cast()) };
        let l = _mm256_shuffle_epi8(lo, _mm256_and_si256(v, nibble));
        let h = _mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16::<4>(v), nibble));
        let outside = _mm256_cmpeq_epi8(_mm256_and_si256(l, h), _mm256_setzero_si256());
        u64::from(!(_mm256_movemask_epi8(outside) as u32))
    };
    let lanes = Lanes::new(n);
    // Class bytes just before `b` (counted from `at`).
    let mut run = 0;
    let mut b = at;
    while b + 64 <= hay.len() {
        let m = mask(b) | mask(b + 32) << 32;
        if m == u64::MAX {
            run += 64;
            if run >= n {
                return b + 64 - run;
            }
        } else {
            if run + m.trailing_ones() as usize >= n {
                return b - run;
            }
            if n <= 64 && lanes.may_hold(m) && has_run(m, n) {
                return b;
            }
            run = m.leading_ones() as usize;
        }
        b += 64;
    }
    b - run
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_set_bits() {
        assert!(has_run(0b1111_0000, 4));
        assert!(!has_run(0b1110_0111, 4));
        assert!(has_run(u64::from(u32::MAX), 32));
        assert!(!has_run(u64::from(u32::MAX >> 1), 32));
        assert!(has_run(1 << 31, 1));
        assert!(has_run(u64::MAX, 64));
        assert!(!has_run(u64::MAX >> 1, 64));
        assert!(has_run(0xffff_0000_0000, 16));
        assert!(!has_run(0x7fff_0000_0000, 16));
        // Against a plain count, for every length on masks of every shape.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Long runs of ones are common here: OR some shifted copies.
            let m = x | x >> (x % 7) | x << (x % 5) | (x >> 3 & x.rotate_left(9));
            let mut longest = 0;
            let mut cur = 0;
            for j in 0..64 {
                cur = if m >> j & 1 == 1 { cur + 1 } else { 0 };
                longest = longest.max(cur);
            }
            for n in 1..=64 {
                assert_eq!(has_run(m, n), longest >= n, "{m:#x} {n}");
            }
        }
    }

    #[test]
    fn nibble_tables_give_the_class_back() {
        let classes: [&dyn Fn(u8) -> bool; 4] = [
            &|b| b.is_ascii_alphanumeric() || b"+/_.=~-".contains(&b),
            &|b| b.is_ascii_hexdigit(),
            &|b| b >= 0x80 || b == b'x',
            &|b| b % 3 == 0,
        ];
        for (i, f) in classes.iter().enumerate() {
            let mut t = [false; 256];
            for b in 0..=255u8 {
                t[b as usize] = f(b);
            }
            match NibbleClass::new(&t) {
                Some(c) => {
                    for b in 0..=255u8 {
                        let got = c.lo[(b & 15) as usize] & c.hi[(b >> 4) as usize] != 0;
                        assert_eq!(got, t[b as usize], "class {i}, byte {b}");
                    }
                }
                // Only the last class has more than 8 distinct rows.
                None => assert_eq!(i, 3),
            }
        }
    }

    #[test]
    fn the_skip_never_passes_a_run() {
        let Some(cpu) = Avx2::detect() else {
            return;
        };
        let mut t = [false; 256];
        t[b'a' as usize] = true;
        let class = NibbleClass::new(&t).unwrap();
        // Runs of every length at every offset around the 32-byte steps.
        for n in [1, 8, 16, 24, 31, 32, 33, 40, 63, 64, 65, 70, 130] {
            for at in [0, 1, 5] {
                for start in 0..150 {
                    for len in [n - 1, n, n + 3] {
                        let mut hay = vec![b'.'; 300];
                        hay[start..start + len].fill(b'a');
                        let skip = run_skip(cpu, &class, &hay, at, n);
                        let first = (at..=hay.len() - n)
                            .find(|&p| hay[p..p + n].iter().all(|&b| b == b'a'));
                        match first {
                            Some(p) => assert!(skip <= p, "n {n} at {at} run {start}+{len}"),
                            None => assert!(skip >= at),
                        }
                    }
                }
            }
        }
    }
}
