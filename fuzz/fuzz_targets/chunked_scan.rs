//! The chunked reader: a large file is scanned in overlapping chunks; here
//! the chunks are small, so that arbitrary inputs cross many boundaries.
//!
//! Beyond "never panics": every finding of a chunked scan lies inside the
//! input at the line and column a whole-buffer scan gives that offset, and
//! no finding of the whole-buffer scan on a line shorter than an eighth of
//! the overlap is lost (such a match and its context always fit in the
//! half overlap each chunk has on either side of what it reports).
#![no_main]

use std::collections::HashSet;

use keyscan::source::chunk::{chunks, ChunkSize};
use keyscan::source::{Blob, Origin};
use libfuzzer_sys::fuzz_target;

#[path = "engine.rs"]
mod engine;
use engine::engine;

type Key = (String, String, usize, usize, usize);

fn key(d: &keyscan::finding::Detection) -> Key {
    (d.rule_id.clone(), d.secret.clone(), d.offset, d.line, d.column)
}

fuzz_target!(|data: &[u8]| {
    let [a, b, rest @ ..] = data else {
        return;
    };
    let overlap = 1024 + 64 * usize::from(*a);
    let size = ChunkSize {
        size: overlap + 16 * usize::from(*b),
        overlap,
    };
    let e = engine();
    let mut w = e.worker();
    w.scan(Blob::whole(rest, Origin::File("f.txt")));
    let whole: Vec<_> = w.detections.drain(..).collect();
    for (c, pos) in chunks(rest, size) {
        w.scan(Blob {
            bytes: c,
            origin: Origin::File("f.txt"),
            chunk: Some(pos),
        });
    }
    let chunked: HashSet<Key> = w.detections.iter().map(key).collect();
    let at: std::collections::HashMap<usize, (usize, usize)> =
        whole.iter().map(|d| (d.offset, (d.line, d.column))).collect();
    for d in &w.detections {
        assert!(d.offset < rest.len());
        if let Some(&lc) = at.get(&d.offset) {
            assert_eq!((d.line, d.column), lc, "{d:?}");
        }
    }
    for d in &whole {
        let start = rest[..d.offset]
            .iter()
            .rposition(|&c| c == b'\n' || c == b'\r')
            .map_or(0, |i| i + 1);
        let end = rest[d.offset..]
            .iter()
            .position(|&c| c == b'\n' || c == b'\r')
            .map_or(rest.len(), |i| d.offset + i);
        if end - start < overlap / 8 {
            assert!(chunked.contains(&key(d)), "lost {d:?}");
        }
    }
});
