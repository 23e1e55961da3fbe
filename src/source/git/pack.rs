//! Pack entries read by location: where every packed object sits (read
//! from the pack indices, `objects/pack/*.idx`), the entries themselves
//! read with positioned reads of the pack files, and a reader that rebuilds
//! an object from its delta chain by those locations, with a cache of its
//! own.
//!
//! Reading packs with positioned reads rather than through memory maps
//! keeps pack pages out of the process's resident memory: a whole-history
//! scan reads every tree and blob, and a map would end up holding the
//! whole pack (and the kernel maps 64 KiB around each page touched). The
//! pages stay in the page cache, shared and reclaimable. Objects no pack
//! index here places (loose objects, alternates) are read through gix.

use std::collections::VecDeque;

use gix::objs::{Find, FindHeader, Kind};
use gix::odb::pack::data::entry::{Header, Location};
use gix::ObjectId;

use super::delta;
use super::graph::FxMap;
use super::odb;

pub(crate) fn key(loc: &Location) -> u64 {
    ((loc.pack_id as u64) << 40) | loc.pack_offset
}

/// The sort key of the base of an offset delta at `loc`.
pub(crate) fn ofs_base(loc: &Location, base_distance: u64) -> Option<u64> {
    let offset = loc.pack_offset.checked_sub(base_distance)?;
    (base_distance > 0).then(|| {
        key(&Location {
            pack_offset: offset,
            ..loc.clone()
        })
    })
}

/// Every object of the repository's packs with its location, read from the
/// pack indices alone: an entry's size on disk is the distance to the next
/// entry of its pack. (gix's `location_by_oid` inflates each object to learn
/// that size, which on a large history is a second of CPU.)
///
/// Three parallel arrays sorted by object id (32 bytes an object, where a
/// `(ObjectId, Location)` pair takes 48); the first pack holding an object
/// keeps it.
#[derive(Default)]
pub(crate) struct PackedEntries {
    ids: Vec<ObjectId>,
    /// [`key`] of each location: pack id and offset.
    at: Vec<u64>,
    /// Size of each entry on disk; 0 for the last entry of a pack (not
    /// known from the index) or one of 4 GiB or more.
    sizes: Vec<u32>,
    /// Positions in pack order (by `at`), and their keys (sorted: searched
    /// without an indirection per probe).
    by_at: Vec<u32>,
    sorted_at: Vec<u64>,
    /// Where the ids starting with each 16-bit prefix begin in `ids`
    /// (65,537 entries): a lookup searches a few dozen ids, not all.
    fanout: Vec<u32>,
    /// The pack data files, by the pack numbers of `at`.
    files: Vec<std::fs::File>,
}

impl PackedEntries {
    /// Read the pack indices of the objects directory (version 2; others
    /// are left to gix), numbering the packs in name order.
    pub(crate) fn read(source: &odb::Source) -> PackedEntries {
        let mut out = PackedEntries::default();
        let hash_len = source.hash().len_in_bytes();
        let mut idx: Vec<std::path::PathBuf> = std::fs::read_dir(source.dir().join("pack"))
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "idx"))
                    .collect()
            })
            .unwrap_or_default();
        idx.sort();
        for path in idx {
            let pack_id = out.files.len() as u32;
            let Ok(file) = std::fs::File::open(path.with_extension("pack")) else {
                continue;
            };
            let Ok(len) = file.metadata().map(|m| m.len()) else {
                continue;
            };
            let base = out.ids.len();
            if read_index(&path, hash_len, pack_id, &mut out).is_err() {
                out.ids.truncate(base);
                out.at.truncate(base);
                continue;
            }
            // Sizes from offsets, in pack order; the last entry ends at the
            // pack's trailing checksum.
            let mut by_offset: Vec<u32> = (base as u32..out.ids.len() as u32).collect();
            by_offset.sort_unstable_by_key(|&i| out.at[i as usize]);
            out.sizes.resize(out.ids.len(), 0);
            let end = key(&Location {
                pack_id,
                pack_offset: len.saturating_sub(hash_len as u64),
                entry_size: 0,
            });
            for (j, &i) in by_offset.iter().enumerate() {
                let next = by_offset.get(j + 1).map_or(end, |&n| out.at[n as usize]);
                out.sizes[i as usize] =
                    u32::try_from(next.saturating_sub(out.at[i as usize])).unwrap_or(0);
            }
            out.files.push(file);
        }
        let sorted = out.ids.windows(2).all(|w| w[0] < w[1]);
        if !sorted {
            // Stable: the first pack holding an object keeps it.
            let mut order: Vec<u32> = (0..out.ids.len() as u32).collect();
            order.sort_by_key(|&i| out.ids[i as usize]);
            order.dedup_by_key(|i| out.ids[*i as usize]);
            out.ids = order.iter().map(|&i| out.ids[i as usize]).collect();
            out.at = order.iter().map(|&i| out.at[i as usize]).collect();
            out.sizes = order.iter().map(|&i| out.sizes[i as usize]).collect();
        }
        out.by_at = (0..out.ids.len() as u32).collect();
        out.by_at.sort_unstable_by_key(|&i| out.at[i as usize]);
        out.sorted_at = out.by_at.iter().map(|&i| out.at[i as usize]).collect();
        out.fanout = vec![0; (1 << 16) + 1];
        for id in &out.ids {
            out.fanout[prefix(id) + 1] += 1;
        }
        for i in 0..1 << 16 {
            out.fanout[i + 1] += out.fanout[i];
        }
        out
    }

    /// The bytes of the entry at `loc` into `out` (cleared first).
    pub(crate) fn entry(&self, loc: &Location, out: &mut Vec<u8>) -> Option<()> {
        let file = self.files.get(loc.pack_id as usize)?;
        out.clear();
        out.try_reserve(loc.entry_size).ok()?;
        out.resize(loc.entry_size, 0);
        read_exact_at(file, out, loc.pack_offset).ok()
    }

    /// The header of the pack entry at `loc` (read from its first bytes).
    pub(crate) fn header(&self, loc: &Location, hash: gix::hash::Kind) -> Option<Header> {
        // A header is at most a few dozen bytes.
        let head = Location {
            entry_size: loc.entry_size.min(64),
            ..loc.clone()
        };
        let mut buf = Vec::with_capacity(64);
        self.entry(&head, &mut buf)?;
        gix::odb::pack::data::Entry::from_bytes(&buf, loc.pack_offset, hash)
            .ok()
            .map(|e| e.header)
    }

    /// Whether no pack was read.
    pub(crate) fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The location of the entry whose [`key`] is `k`.
    fn at_key(&self, k: u64) -> Option<Location> {
        let j = self.sorted_at.binary_search(&k).ok()?;
        let i = self.by_at[j] as usize;
        (self.sizes[i] > 0).then(|| self.location(i))
    }

    fn location(&self, i: usize) -> Location {
        let k = self.at[i];
        Location {
            pack_id: (k >> 40) as u32,
            pack_offset: k & ((1 << 40) - 1),
            entry_size: self.sizes[i] as usize,
        }
    }

    /// Where object `id` sits, if a pack index tells it.
    pub(crate) fn find(&self, id: &ObjectId) -> Option<Location> {
        if self.ids.is_empty() {
            return None;
        }
        let p = prefix(id);
        let (lo, hi) = (self.fanout[p] as usize, self.fanout[p + 1] as usize);
        let i = lo + self.ids[lo..hi].binary_search(id).ok()?;
        (self.sizes[i] > 0).then(|| self.location(i))
    }

    /// Packed blobs that no walked commit or tree reaches, in object id
    /// order. `known` gives the kind of each object the walk met (None for
    /// the others); the kind of the rest is read from their pack entry
    /// headers, in pack order so that a delta takes its base's kind (bases
    /// come first), or asked of gix where the header does not tell it.
    pub(crate) fn unreached_blobs(
        &self,
        source: &odb::Source,
        known: impl Fn(&ObjectId) -> Option<gix::objs::Kind>,
    ) -> Vec<ObjectId> {
        use gix::objs::Kind;
        let budget = odb::Budget::new();
        let mut objects = source.open(0, &budget);
        // Pack order (bases before their deltas).
        let order = &self.by_at;
        let mut kinds: Vec<Option<Kind>> = Vec::with_capacity(order.len());
        let mut out = Vec::new();
        for &i in order {
            let id = &self.ids[i as usize];
            if let Some(k) = known(id) {
                kinds.push(Some(k));
                continue;
            }
            let location = self.location(i as usize);
            let objects = objects.get();
            let kind = match self.header(&location, source.hash()) {
                Some(Header::Blob) => Some(Kind::Blob),
                Some(Header::Tree) => Some(Kind::Tree),
                Some(Header::Commit) => Some(Kind::Commit),
                Some(Header::Tag) => Some(Kind::Tag),
                // The base sorts before this entry.
                Some(Header::OfsDelta { base_distance }) => ofs_base(&location, base_distance)
                    .and_then(|base| {
                        order[..kinds.len()]
                            .binary_search_by_key(&base, |&o| self.at[o as usize])
                            .ok()
                    })
                    .and_then(|j| kinds[j]),
                _ => None,
            }
            .or_else(|| objects.try_header(id).ok().flatten().map(|h| h.kind));
            kinds.push(kind);
            if kind == Some(Kind::Blob) {
                out.push(*id);
            }
        }
        out.sort_unstable();
        out
    }
}

/// Bytes of rebuilt objects a [`Resolver`] keeps (bases of delta chains).
const RESOLVER_CACHE: usize = 16 << 20;
/// Objects larger than this are not kept.
const RESOLVER_KEEP_MAX: usize = 1 << 20;

/// Reads objects by their pack location, rebuilding delta chains itself,
/// with a cache of rebuilt objects (first in, first out) that outlives
/// store renewals. Objects the pack indices do not place (loose ones, the
/// last entry of a pack, a chain through one) are read through gix.
pub(crate) struct Resolver<'p> {
    packed: &'p PackedEntries,
    hash: gix::hash::Kind,
    inflate: gix::zlib::Inflate,
    cache: FxMap<u64, (Kind, Vec<u8>)>,
    order: VecDeque<u64>,
    cached: usize,
    /// Deltas on the way down a chain, reused.
    chain: Vec<(u64, Vec<u8>)>,
    spare: Vec<Vec<u8>>,
    changes: Vec<(usize, usize)>,
    /// An entry's bytes as read.
    raw: Vec<u8>,
}

impl<'p> Resolver<'p> {
    pub(crate) fn new(packed: &'p PackedEntries, hash: gix::hash::Kind) -> Resolver<'p> {
        Resolver {
            packed,
            hash,
            inflate: gix::zlib::Inflate::default(),
            cache: FxMap::default(),
            order: VecDeque::new(),
            cached: 0,
            chain: Vec::new(),
            spare: Vec::new(),
            changes: Vec::new(),
            raw: Vec::new(),
        }
    }

    /// Object `id` into `out`: its kind, None if missing (`objects` reads
    /// what the pack indices do not place).
    pub(crate) fn read(
        &mut self,
        objects: &gix::odb::Handle,
        id: &ObjectId,
        out: &mut Vec<u8>,
    ) -> Result<Option<Kind>, String> {
        if let Some(loc) = self.packed.find(id) {
            if let Some(kind) = self.rebuild(loc, out) {
                return Ok(Some(kind));
            }
        }
        match Find::try_find(objects, id, out) {
            Ok(Some(d)) => Ok(Some(d.kind)),
            Ok(None) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Inflate the entry at `loc`: its header, and its data into `out`.
    fn entry(&mut self, loc: &Location, out: &mut Vec<u8>) -> Option<Header> {
        let mut raw = std::mem::take(&mut self.raw);
        let r = self.inflate_entry(loc, &mut raw, out);
        self.raw = raw;
        r
    }

    fn inflate_entry(
        &mut self,
        loc: &Location,
        raw: &mut Vec<u8>,
        out: &mut Vec<u8>,
    ) -> Option<Header> {
        self.packed.entry(loc, raw)?;
        let e = gix::odb::pack::data::Entry::from_bytes(raw, loc.pack_offset, self.hash).ok()?;
        let size = usize::try_from(e.decompressed_size).ok()?;
        let compressed = raw.get(usize::try_from(e.data_offset - loc.pack_offset).ok()?..)?;
        out.clear();
        out.try_reserve(size).ok()?;
        out.resize(size, 0);
        self.inflate.reset();
        let (_, _, produced) = self.inflate.once(compressed, out).ok()?;
        (produced == size).then_some(e.header)
    }

    /// The object at `loc`, rebuilt down its delta chain; None where a link
    /// of the chain cannot be placed or read.
    fn rebuild(&mut self, loc: Location, out: &mut Vec<u8>) -> Option<Kind> {
        for (_, d) in self.chain.drain(..) {
            self.spare.push(d);
        }
        let mut at = loc;
        // Down the chain to a cached object or a whole one.
        let (kind, mut base) = loop {
            let k = key(&at);
            if let Some((kind, bytes)) = self.cache.get(&k) {
                let mut b = self.spare.pop().unwrap_or_default();
                b.clear();
                b.extend_from_slice(bytes);
                break (*kind, b);
            }
            let mut data = self.spare.pop().unwrap_or_default();
            let header = self.entry(&at, &mut data)?;
            let whole = match header {
                Header::Blob => Some(Kind::Blob),
                Header::Tree => Some(Kind::Tree),
                Header::Commit => Some(Kind::Commit),
                Header::Tag => Some(Kind::Tag),
                _ => None,
            };
            if let Some(kind) = whole {
                // The base of a chain is likely the base of others.
                if !self.chain.is_empty() {
                    self.keep(k, kind, &data);
                }
                break (kind, data);
            }
            let next = match header {
                Header::OfsDelta { base_distance } => {
                    ofs_base(&at, base_distance).and_then(|b| self.packed.at_key(b))
                }
                Header::RefDelta { base_id } => self.packed.find(&base_id),
                _ => None,
            };
            self.chain.push((k, data));
            at = next?;
            if self.chain.len() > 10_000 {
                return None; // a cycle in a corrupt pack
            }
        };
        // Up the chain, applying each delta.
        while let Some((k, d)) = self.chain.pop() {
            let mut result = self.spare.pop().unwrap_or_default();
            delta::apply(&base, &d, &mut result, &mut self.changes)?;
            self.spare.push(d);
            self.spare.push(std::mem::replace(&mut base, result));
            self.keep(k, kind, &base);
        }
        out.clear();
        out.extend_from_slice(&base);
        self.spare.push(base);
        self.spare.truncate(8);
        Some(kind)
    }

    fn keep(&mut self, k: u64, kind: Kind, bytes: &[u8]) {
        if bytes.len() > RESOLVER_KEEP_MAX || self.cache.contains_key(&k) {
            return;
        }
        while self.cached + bytes.len() > RESOLVER_CACHE {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some((_, b)) = self.cache.remove(&old) {
                self.cached -= b.len();
            }
        }
        self.cached += bytes.len();
        self.cache.insert(k, (kind, bytes.to_vec()));
        self.order.push_back(k);
    }
}

/// The first 16 bits of an object id.
fn prefix(id: &gix::oid) -> usize {
    let b = id.as_bytes();
    ((b[0] as usize) << 8) | b[1] as usize
}

/// Read a version 2 pack index: its object ids and their offsets (as
/// [`key`]s of pack `pack_id`) appended to `out`.
fn read_index(
    path: &std::path::Path,
    hash_len: usize,
    pack_id: u32,
    out: &mut PackedEntries,
) -> std::io::Result<()> {
    use std::io::{BufReader, Error, Read};
    let mut r = BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
    let mut head = [0u8; 8];
    r.read_exact(&mut head)?;
    if head != [0xff, b't', b'O', b'c', 0, 0, 0, 2] {
        return Err(Error::other("not a version 2 pack index"));
    }
    let mut fanout = [0u8; 1024];
    r.read_exact(&mut fanout)?;
    let n = u32::from_be_bytes(fanout[1020..].try_into().expect("4 bytes")) as usize;
    let mut id = vec![0u8; hash_len];
    out.ids.reserve(n);
    for _ in 0..n {
        r.read_exact(&mut id)?;
        out.ids
            .push(ObjectId::try_from(id.as_slice()).map_err(Error::other)?);
    }
    // CRCs, unused.
    std::io::copy(&mut (&mut r).take(4 * n as u64), &mut std::io::sink())?;
    let mut small = vec![0u32; n];
    let mut word = [0u8; 4];
    for s in small.iter_mut() {
        r.read_exact(&mut word)?;
        *s = u32::from_be_bytes(word);
    }
    let mut large = Vec::new();
    let mut dword = [0u8; 8];
    for _ in small.iter().filter(|&&s| s & 0x8000_0000 != 0) {
        r.read_exact(&mut dword)?;
        large.push(u64::from_be_bytes(dword));
    }
    out.at.reserve(n);
    for s in small {
        let offset = if s & 0x8000_0000 != 0 {
            *large
                .get((s & 0x7fff_ffff) as usize)
                .ok_or_else(|| Error::other("bad large offset"))?
        } else {
            s as u64
        };
        if offset >= 1 << 40 {
            return Err(Error::other("pack too large"));
        }
        out.at.push(key(&Location {
            pack_id,
            pack_offset: offset,
            entry_size: 0,
        }));
    }
    Ok(())
}

/// Fill `buf` from `file` at `offset`.
fn read_exact_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let mut done = 0;
        while done < buf.len() {
            match std::os::windows::fs::FileExt::seek_read(
                file,
                &mut buf[done..],
                offset + done as u64,
            )? {
                0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                n => done += n,
            }
        }
        Ok(())
    }
    #[cfg(not(any(unix, windows)))]
    {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = file.try_clone()?;
        f.seek(SeekFrom::Start(offset))?;
        f.read_exact(buf)
    }
}
