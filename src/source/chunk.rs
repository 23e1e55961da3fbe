//! Where the chunks of a large file begin and end, and which matches each
//! one reports.
//!
//! A file too large to hold is read `size` bytes at a time, each chunk
//! repeating the last `overlap` bytes of the one before. Every byte offset
//! belongs to exactly one chunk: the hand-over point between two chunks lies
//! in the middle of their overlap (at a line start when there is one
//! nearby), so each chunk reports only matches that start with at least
//! half an overlap of context on either side. A secret shorter than half
//! the overlap is therefore seen whole, with the text before it, by the one
//! chunk that reports it, exactly as in a scan of the whole buffer.
//!
//! [`Chunker`] holds that arithmetic for a reader that refills one buffer
//! (the file-tree source); [`chunks`] applies it to bytes in memory (tests
//! and fuzzing compare the two kinds of scan with it).

use super::ChunkPos;
use crate::text::Locator;

/// The chunk geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkSize {
    /// New bytes per chunk.
    pub size: usize,
    /// Bytes a chunk repeats from the end of the one before.
    pub overlap: usize,
}

/// What the file-tree source uses: 16 MiB chunks with a 128 KiB overlap,
/// so matches up to 64 KiB long (the longest rule window is 40,000 bytes:
/// a base64-encoded key block) are found whole across a boundary.
pub const DEFAULT: ChunkSize = ChunkSize {
    size: 16 * 1024 * 1024,
    overlap: 128 * 1024,
};

impl ChunkSize {
    /// Bytes one chunk holds at most.
    pub fn capacity(&self) -> usize {
        self.size + self.overlap
    }
}

/// The position of the chunk being read, advanced chunk by chunk.
#[derive(Debug, Clone)]
pub struct Chunker {
    size: ChunkSize,
    /// File offset of the chunk's first byte.
    offset: u64,
    /// Line and column of that byte.
    line: usize,
    column: usize,
    /// Where this chunk's own matches begin (the previous chunk reported
    /// every match starting before it).
    report_from: usize,
}

impl Chunker {
    /// The first chunk of a file.
    pub fn new(size: ChunkSize) -> Chunker {
        assert!(size.overlap >= 2 && size.size >= size.overlap);
        Chunker {
            size,
            offset: 0,
            line: 1,
            column: 0,
            report_from: 0,
        }
    }

    /// Bytes the chunk starts with that the previous one also held (what
    /// the caller keeps at the start of its buffer).
    pub fn carried(&self) -> usize {
        if self.offset == 0 {
            0
        } else {
            self.size.overlap
        }
    }

    /// The position of the chunk `bytes` (the carried bytes and the new
    /// ones), the last of its file when `last`.
    pub fn pos(&self, bytes: &[u8], last: bool) -> ChunkPos {
        ChunkPos {
            offset: self.offset,
            line: self.line,
            column: self.column,
            report_from: self.report_from,
            report_to: if last {
                bytes.len()
            } else {
                self.hand_over(bytes)
            },
        }
    }

    /// Move on past the chunk `bytes` (not the last); returns where the
    /// next chunk starts in `bytes`: the caller moves `bytes[keep_from..]`
    /// to the start of its buffer and reads on after it.
    pub fn advance(&mut self, bytes: &[u8]) -> usize {
        let hand_over = self.hand_over(bytes);
        let keep_from = bytes.len() - self.size.overlap;
        // Count lines and columns exactly as findings are located (`\r\n`,
        // lone `\r`, a BOM), from this chunk's start.
        let (l, c) = Locator::with_base(bytes, self.line, self.column).locate(keep_from);
        (self.line, self.column) = (l, c - 1);
        self.offset += keep_from as u64;
        self.report_from = hand_over - keep_from;
        keep_from
    }

    /// Where this chunk hands over to the next: the middle of the overlap,
    /// moved on to the next line start if one is within a quarter overlap.
    fn hand_over(&self, bytes: &[u8]) -> usize {
        let overlap = self.size.overlap;
        let mid = bytes.len() - overlap / 2;
        let search = &bytes[mid..bytes.len() - overlap / 4];
        match memchr::memchr(b'\n', search) {
            Some(i) => mid + i + 1,
            None => mid,
        }
    }
}

/// The chunks of `bytes` as the file-tree source would read them.
pub fn chunks(bytes: &[u8], size: ChunkSize) -> Vec<(&[u8], ChunkPos)> {
    let mut out = Vec::new();
    let mut chunker = Chunker::new(size);
    let mut start = 0usize;
    loop {
        let end = (start + size.capacity()).min(bytes.len());
        let chunk = &bytes[start..end];
        let last = end == bytes.len();
        out.push((chunk, chunker.pos(chunk, last)));
        if last {
            return out;
        }
        start += chunker.advance(chunk);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every offset is reported by exactly one chunk, at the right place.
    #[test]
    fn chunks_tile_the_input() {
        let size = ChunkSize {
            size: 64,
            overlap: 16,
        };
        for len in [0usize, 1, 63, 64, 79, 80, 81, 150, 1000] {
            let bytes: Vec<u8> = (0..len)
                .map(|i| if i % 7 == 6 { b'\n' } else { b'a' })
                .collect();
            let mut owner = vec![0usize; len];
            for (chunk, pos) in chunks(&bytes, size) {
                assert!(chunk.len() <= size.capacity());
                assert_eq!(&bytes[pos.offset as usize..][..chunk.len()], chunk);
                let (line, column) = Locator::new(&bytes).locate(pos.offset as usize);
                assert_eq!((pos.line, pos.column + 1), (line, column));
                for i in pos.report_from..pos.report_to {
                    owner[pos.offset as usize + i] += 1;
                }
            }
            assert!(owner.iter().all(|&n| n == 1), "len {len}: {owner:?}");
        }
    }
}
