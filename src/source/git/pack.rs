//! Pack entries read by location: where every packed object sits (from
//! the pack indices), and a reader that rebuilds an object from its delta
//! chain by those locations, with a cache of its own.
//!
//! Reading by location does not search a pack index (gix's reads by id
//! binary-search a mapped index, whose pages then count in resident
//! memory in every store that reads), and the cache, being ours, outlives
//! the renewal of a store (see [`super::odb`]).

use std::collections::VecDeque;

use gix::objs::{Find, FindHeader, Kind};
use gix::odb::pack::data::entry::{Header, Location};
use gix::odb::pack::Find as _;
use gix::ObjectId;

use super::delta;
use super::graph::FxMap;
use super::odb;

pub(crate) fn key(loc: &Location) -> u64 {
    ((loc.pack_id as u64) << 40) | loc.pack_offset
}

/// The header of the pack entry at `loc` (read from its first bytes; None
/// for the last entry of a pack, whose size the index does not tell).
pub(crate) fn entry_header(
    objects: &gix::odb::Handle,
    hash: gix::hash::Kind,
    loc: &Location,
) -> Option<Header> {
    if loc.entry_size == 0 {
        return None;
    }
    // A header is at most a few dozen bytes.
    let head = Location {
        entry_size: loc.entry_size.min(64),
        ..loc.clone()
    };
    let entry = objects.entry_by_location(&head)?;
    gix::odb::pack::data::Entry::from_bytes(&entry.data, loc.pack_offset, hash)
        .ok()
        .map(|e| e.header)
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
    /// Positions in pack order (by `at`).
    by_at: Vec<u32>,
}

impl PackedEntries {
    /// Packs are numbered from 0 in the object store; the walk stops at the
    /// first number it does not know (objects of later packs are placed by
    /// the callers' fallbacks).
    pub(crate) fn read(source: &odb::Source) -> PackedEntries {
        let budget = odb::Budget::new();
        let mut objects = source.open(0, &budget);
        let mut out = PackedEntries::default();
        let mut packs = 0;
        for pack_id in 0u32.. {
            let Some(list) = objects.get().pack_offsets_and_oid(pack_id) else {
                break;
            };
            packs += 1;
            // Sizes from offsets, in pack order.
            let mut by_offset: Vec<u32> = (0..list.len() as u32).collect();
            by_offset.sort_unstable_by_key(|&i| list[i as usize].0);
            let base = out.ids.len();
            out.sizes.resize(base + list.len(), 0);
            for w in by_offset.windows(2) {
                let (this, next) = (list[w[0] as usize].0, list[w[1] as usize].0);
                out.sizes[base + w[0] as usize] = u32::try_from(next - this).unwrap_or(0);
            }
            drop(by_offset);
            out.ids.extend(list.iter().map(|(_, id)| *id));
            out.at.extend(list.iter().map(|&(offset, _)| {
                key(&Location {
                    pack_id,
                    pack_offset: offset,
                    entry_size: 0,
                })
            }));
        }
        let sorted = out.ids.windows(2).all(|w| w[0] < w[1]);
        if packs > 1 || !sorted {
            // Stable: the first pack holding an object keeps it.
            let mut order: Vec<u32> = (0..out.ids.len() as u32).collect();
            order.sort_by_key(|&i| out.ids[i as usize]);
            order.dedup_by_key(|i| out.ids[*i as usize]);
            out = PackedEntries {
                ids: order.iter().map(|&i| out.ids[i as usize]).collect(),
                at: order.iter().map(|&i| out.at[i as usize]).collect(),
                sizes: order.iter().map(|&i| out.sizes[i as usize]).collect(),
                by_at: Vec::new(),
            };
        }
        out.by_at = (0..out.ids.len() as u32).collect();
        out.by_at.sort_unstable_by_key(|&i| out.at[i as usize]);
        out
    }

    /// Whether no pack was read.
    pub(crate) fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The location of the entry whose [`key`] is `k`.
    fn at_key(&self, k: u64) -> Option<Location> {
        let j = self
            .by_at
            .binary_search_by_key(&k, |&i| self.at[i as usize])
            .ok()?;
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
        let i = self.ids.binary_search(id).ok()?;
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
            let kind = match entry_header(objects, source.hash(), &location) {
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
        }
    }

    /// Object `id` into `out`: its kind, None if missing.
    pub(crate) fn read(
        &mut self,
        objects: &gix::odb::Handle,
        id: &ObjectId,
        out: &mut Vec<u8>,
    ) -> Result<Option<Kind>, String> {
        if let Some(loc) = self.packed.find(id) {
            if let Some(kind) = self.rebuild(objects, loc, out) {
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
    fn entry(
        &mut self,
        objects: &gix::odb::Handle,
        loc: &Location,
        out: &mut Vec<u8>,
    ) -> Option<Header> {
        let entry = objects.entry_by_location(loc)?;
        let e = gix::odb::pack::data::Entry::from_bytes(&entry.data, loc.pack_offset, self.hash)
            .ok()?;
        let size = usize::try_from(e.decompressed_size).ok()?;
        let compressed = entry
            .data
            .get(usize::try_from(e.data_offset - loc.pack_offset).ok()?..)?;
        out.clear();
        out.try_reserve(size).ok()?;
        out.resize(size, 0);
        self.inflate.reset();
        let (_, _, produced) = self.inflate.once(compressed, out).ok()?;
        (produced == size).then_some(e.header)
    }

    /// The object at `loc`, rebuilt down its delta chain; None where a link
    /// of the chain cannot be placed or read.
    fn rebuild(
        &mut self,
        objects: &gix::odb::Handle,
        loc: Location,
        out: &mut Vec<u8>,
    ) -> Option<Kind> {
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
            let header = self.entry(objects, &at, &mut data)?;
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
