//! Delta-aware scanning: which parts of a blob are new relative to the blob
//! its pack entry is a delta against.
//!
//! A pack stores most blobs as a delta against another blob (usually another
//! version of the same file): a list of *copy* instructions (a range of the
//! base) and *insert* instructions (literal new bytes). Bytes copied from the
//! base were already scanned as part of the base (whose own copied bytes were
//! scanned as part of its base, down to a blob stored whole), so only the
//! inserted bytes and the seams between instructions need scanning, with
//! some context around them. The context (whole lines, at least
//! [`CONTEXT_LINES`] lines and [`CONTEXT_BYTES`] bytes each side) keeps a
//! secret whose keyword or multi-line frame sits next to a change visible to
//! the rules, as the context lines of `git log -p` do.
//!
//! Attribution stays exact because a blob is scanned whole whenever its
//! regions hold a finding or any blob of its delta chain has one (see
//! [`super::blobs`]).

use memchr::{memchr, memrchr};

/// Lines of context scanned before and after each change.
pub(crate) const CONTEXT_LINES: usize = 3;
/// Bytes of context scanned at least before and after each change (snapped
/// out to whole lines).
pub(crate) const CONTEXT_BYTES: usize = 256;

/// Read a delta's size header varint (7 bits a byte, little end first).
fn varint(d: &[u8], pos: &mut usize) -> Option<usize> {
    let mut value: usize = 0;
    let mut shift = 0u32;
    loop {
        let b = *d.get(*pos)?;
        *pos += 1;
        if shift >= usize::BITS {
            return None;
        }
        value |= ((b & 0x7f) as usize).checked_shl(shift)?;
        shift += 7;
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
}

/// Apply `delta` to `base`, writing the result to `out` (cleared first), and
/// the spans of the result that are not a contiguous copy of the base to
/// `changes` (inserted bytes, and empty spans at every seam between two instructions that are not one continuous copy, and at the ends when the result does not start or end like the base). `None` if the delta is malformed
/// or does not fit `base`.
pub(crate) fn apply(
    base: &[u8],
    delta: &[u8],
    out: &mut Vec<u8>,
    changes: &mut Vec<(usize, usize)>,
) -> Option<()> {
    out.clear();
    changes.clear();
    let mut pos = 0;
    if varint(delta, &mut pos)? != base.len() {
        return None;
    }
    let result_len = varint(delta, &mut pos)?;
    // Deltas cannot grow a blob by more than their own size times 0x10000.
    out.try_reserve(result_len.min(delta.len().saturating_mul(1 << 16)))
        .ok()?;
    let mut copy_end: Option<usize> = Some(0);
    while pos < delta.len() {
        let op = delta[pos];
        pos += 1;
        if op & 0x80 != 0 {
            let mut off = 0usize;
            for i in 0..4 {
                if op & (1 << i) != 0 {
                    off |= (*delta.get(pos)? as usize) << (8 * i);
                    pos += 1;
                }
            }
            let mut size = 0usize;
            for i in 0..3 {
                if op & (0x10 << i) != 0 {
                    size |= (*delta.get(pos)? as usize) << (8 * i);
                    pos += 1;
                }
            }
            if size == 0 {
                size = 0x10000;
            }
            let src = base.get(off..off.checked_add(size)?)?;
            if out.len() + size > result_len {
                return None;
            }
            if copy_end != Some(off) {
                changes.push((out.len(), out.len()));
            }
            out.extend_from_slice(src);
            copy_end = Some(off + size);
        } else if op != 0 {
            let n = op as usize;
            let src = delta.get(pos..pos + n)?;
            if out.len() + n > result_len {
                return None;
            }
            pos += n;
            changes.push((out.len(), out.len() + n));
            out.extend_from_slice(src);
            copy_end = None;
        } else {
            return None;
        }
    }
    if out.len() != result_len {
        return None;
    }
    // The end is a seam unless the result ends like the base (or with an
    // insertion, whose span covers it).
    if matches!(copy_end, Some(end) if end != base.len()) {
        changes.push((out.len(), out.len()));
    }
    Some(())
}

/// Start of the line holding `pos`, then `n` lines further back.
fn line_start_back(b: &[u8], pos: usize, n: usize) -> usize {
    let pos = pos.min(b.len());
    let mut start = memrchr(b'\n', &b[..pos]).map_or(0, |i| i + 1);
    for _ in 0..n {
        if start == 0 {
            break;
        }
        start = memrchr(b'\n', &b[..start - 1]).map_or(0, |i| i + 1);
    }
    start
}

/// End (past its newline) of the line holding `pos`, then `n` lines further.
fn line_end_forward(b: &[u8], pos: usize, n: usize) -> usize {
    let mut end = pos.min(b.len());
    for _ in 0..=n {
        if end >= b.len() {
            return b.len();
        }
        end = memchr(b'\n', &b[end..]).map_or(b.len(), |i| end + i + 1);
    }
    end
}

/// The line-aligned regions of `blob` to scan for `changes` (sorted by
/// start, as [`apply`] returns them): each change widened by the context,
/// overlapping or touching regions merged.
pub(crate) fn regions(blob: &[u8], changes: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &(s, e) in changes {
        let lines_end = line_end_forward(blob, e, CONTEXT_LINES);
        // A change that starts inside the current region only extends it:
        // its start needs no search, nor its byte context when that ends
        // inside the region (whose end is a line end).
        if let Some(last) = out.last_mut() {
            if s < last.1 {
                let mut hi = lines_end;
                if e.saturating_add(CONTEXT_BYTES) >= last.1 {
                    hi = hi.max(line_end_forward(blob, e.saturating_add(CONTEXT_BYTES), 0));
                }
                last.1 = last.1.max(hi);
                continue;
            }
        }
        let lo = line_start_back(blob, s, CONTEXT_LINES).min(line_start_back(
            blob,
            s.saturating_sub(CONTEXT_BYTES),
            0,
        ));
        let hi = lines_end.max(line_end_forward(blob, e.saturating_add(CONTEXT_BYTES), 0));
        match out.last_mut() {
            Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out.retain(|&(lo, hi)| hi > lo);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(off: usize, size: usize) -> Vec<u8> {
        let mut op = 0x80u8;
        let mut v = Vec::new();
        for i in 0..4 {
            let b = (off >> (8 * i)) as u8;
            if b != 0 {
                op |= 1 << i;
                v.push(b);
            }
        }
        for i in 0..3 {
            let b = (size >> (8 * i)) as u8;
            if b != 0 {
                op |= 0x10 << i;
                v.push(b);
            }
        }
        let mut out = vec![op];
        out.extend(v);
        out
    }

    fn changes(d: &[u8], _result_len: usize) -> Option<Vec<(usize, usize)>> {
        let base = vec![0u8; varint(d, &mut 0)?];
        let (mut out, mut ch) = (Vec::new(), Vec::new());
        apply(&base, d, &mut out, &mut ch)?;
        Some(ch)
    }

    fn delta(base: usize, result: usize, ops: &[Vec<u8>]) -> Vec<u8> {
        let mut d = Vec::new();
        for mut n in [base, result] {
            loop {
                let b = (n & 0x7f) as u8;
                n >>= 7;
                if n == 0 {
                    d.push(b);
                    break;
                }
                d.push(b | 0x80);
            }
        }
        for op in ops {
            d.extend_from_slice(op);
        }
        d
    }

    fn insert(bytes: &[u8]) -> Vec<u8> {
        let mut v = vec![bytes.len() as u8];
        v.extend_from_slice(bytes);
        v
    }

    #[test]
    fn an_append_changes_only_its_bytes() {
        let d = delta(300, 310, &[copy(0, 300), insert(b"0123456789")]);
        assert_eq!(changes(&d, 310).unwrap(), vec![(300, 310)]);
    }

    #[test]
    fn seams_between_copies_are_changes() {
        // The base's [0, 100) then [200, 300): a seam at 100.
        let d = delta(300, 200, &[copy(0, 100), copy(200, 100)]);
        assert_eq!(changes(&d, 200).unwrap(), vec![(100, 100)]);
        // A copy that does not start at 0 and one that does not reach the end.
        let d = delta(300, 100, &[copy(50, 100)]);
        assert_eq!(changes(&d, 100).unwrap(), vec![(0, 0), (100, 100)]);
        // An identical copy in two instructions has no seam.
        let d = delta(300, 300, &[copy(0, 150), copy(150, 150)]);
        assert!(changes(&d, 300).unwrap().is_empty());
        // Size 0 means 0x10000.
        let d = delta(0x10000, 0x10000, &[vec![0x80]]);
        assert!(changes(&d, 0x10000).unwrap().is_empty());
    }

    #[test]
    fn applying_a_delta_rebuilds_the_result_and_its_changes() {
        let base = b"0123456789abcdefghij";
        let d = delta(20, 17, &[copy(0, 10), insert(b"XYZ"), copy(16, 4)]);
        let (mut out, mut ch) = (Vec::new(), Vec::new());
        apply(base, &d, &mut out, &mut ch).unwrap();
        assert_eq!(out, b"0123456789XYZghij");
        assert_eq!(ch, vec![(10, 13), (13, 13)]);
        // An empty result of a non-empty base: a seam.
        let d = delta(20, 0, &[]);
        apply(base, &d, &mut out, &mut ch).unwrap();
        assert_eq!(ch, vec![(0, 0)]);
        assert_eq!(ch, changes(&d, 17).unwrap());
        // Wrong base length, copy past the base, short result.
        assert!(apply(&base[..19], &d, &mut out, &mut ch).is_none());
        let d = delta(20, 30, &[copy(15, 10)]);
        assert!(apply(base, &d, &mut out, &mut ch).is_none());
        let d = delta(20, 30, &[copy(0, 20)]);
        assert!(apply(base, &d, &mut out, &mut ch).is_none());
    }

    #[test]
    fn malformed_deltas_are_refused() {
        assert!(changes(&delta(10, 11, &[copy(0, 10)]), 11).is_none());
        assert!(changes(&delta(10, 10, &[copy(5, 10)]), 10).is_none());
        assert!(changes(&delta(10, 10, &[vec![0]]), 10).is_none());
        assert!(changes(&delta(10, 20, &[vec![20, 1, 2]]), 20).is_none());
        assert!(changes(&[0x80], 0).is_none());
    }

    #[test]
    fn regions_are_whole_lines_with_context() {
        let blob: Vec<u8> = (0..20)
            .flat_map(|i| format!("line {i:02}\n").into_bytes())
            .collect();
        let line = |i: usize| i * 8; // each line is 8 bytes
        let small = |b: &[u8], ch: &[(usize, usize)]| {
            // Without the byte minimum, to see the line context.
            let mut out: Vec<(usize, usize)> = Vec::new();
            for &(s, e) in ch {
                let lo = line_start_back(b, s, CONTEXT_LINES);
                let hi = line_end_forward(b, e, CONTEXT_LINES);
                match out.last_mut() {
                    Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
                    _ => out.push((lo, hi)),
                }
            }
            out
        };
        // A change inside line 10: lines 7..=13.
        assert_eq!(
            small(&blob, &[(line(10) + 2, line(10) + 4)]),
            vec![(line(7), line(14))]
        );
        // Near the ends: clamped.
        assert_eq!(small(&blob, &[(1, 2)]), vec![(0, line(4))]);
        assert_eq!(
            small(&blob, &[(blob.len(), blob.len())]),
            vec![(line(17), blob.len())]
        );
        // Close changes merge.
        assert_eq!(
            small(&blob, &[(line(5), line(5) + 1), (line(9), line(9) + 1)]),
            vec![(line(2), line(13))]
        );
        // The byte minimum widens short lines: 160 bytes is the whole blob.
        assert_eq!(
            regions(&blob, &[(line(10), line(10))]),
            vec![(0, blob.len())]
        );
        assert!(regions(b"", &[(0, 0)]).is_empty());
    }
}
