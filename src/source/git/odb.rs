//! Object store handles whose pack mappings are renewed to bound memory.
//!
//! gix reads packs through memory maps. Every page of a pack that a read
//! touches stays mapped (and counts in the process's resident memory) for
//! as long as the store lives, and the kernel maps pages around each fault
//! (64 KiB) too: a whole-history scan reads every tree and blob, so a
//! store shared by the whole scan ends up holding the whole pack (and its
//! index) resident. Each phase that reads many objects therefore gets
//! handles on stores of its own ([`Odb`]), and a handle drops its store
//! (unmapping its pages) and opens a new one when the mapped file pages of
//! the process have grown past a [`Budget`] since the phase began.
//!
//! Pack ids (in [`gix::odb::pack::data::entry::Location`]s) are slot
//! numbers that a store assigns from the directory listing: every store
//! opened on the same objects directory numbers the packs alike, so a
//! location found through one store reads the same entry through another.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// Stores renewed in this process (for the debug timings).
static RENEWALS: AtomicU64 = AtomicU64::new(0);

/// Stores renewed so far in this process.
pub(crate) fn renewals() -> u64 {
    RENEWALS.load(Ordering::Relaxed)
}

/// Bytes of pack pages a phase may keep mapped (above what was mapped when
/// it began) before its handles renew their stores.
const DEFAULT_BUDGET: u64 = 48 << 20;
/// Reads between two looks at the process's mapped pages.
const CHECK_EVERY: u32 = 256;
/// Without a way to see mapped pages (no `/proc`), a handle renews its
/// store after this many reads.
const BLIND_RENEW_EVERY: u64 = 1 << 16;

/// Where handles come from: the objects directory and its hash kind.
#[derive(Clone)]
pub(crate) struct Source {
    dir: PathBuf,
    hash: gix::hash::Kind,
    /// The repository's own store: handles fall back to it if a store of
    /// their own cannot be opened.
    shared: gix::features::threading::OwnShared<gix::odb::Store>,
}

impl Source {
    /// The object store of `sync`.
    pub(crate) fn of(sync: &gix::ThreadSafeRepository) -> Source {
        Source {
            dir: sync.objects.path().to_path_buf(),
            hash: sync.objects.object_hash(),
            shared: sync.objects.clone(),
        }
    }

    /// The objects directory.
    pub(crate) fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The hash kind of the objects.
    pub(crate) fn hash(&self) -> gix::hash::Kind {
        self.hash
    }

    /// A handle on a store of its own, with a pack cache of `cache` bytes
    /// (0: none), renewed within `budget`.
    pub(crate) fn open<'b>(&self, cache: usize, budget: &'b Budget) -> Odb<'b> {
        Odb {
            handle: self.handle(cache),
            source: self.clone(),
            cache,
            budget,
            since_check: 0,
            since_renew: 0,
        }
    }

    fn handle(&self, cache: usize) -> gix::odb::Handle {
        // A store of its own; if that cannot be opened, the shared store
        // (whose mappings then stay).
        let mut h = gix::odb::at(self.dir.clone(), self.hash)
            .unwrap_or_else(|_| gix::odb::Cache::from(self.shared.to_handle()));
        // Locations are only used with packs that stay mapped.
        h.prevent_pack_unload();
        // Every pack index loaded now (reading a location asks for the
        // index of its pack, which a new store has not loaded yet).
        let _ = h.packed_object_count();
        if cache > 0 {
            h.set_pack_cache(move || {
                Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(cache))
            });
        }
        h
    }
}

/// The mapped file pages a phase may add, shared by its handles.
pub(crate) struct Budget {
    /// Renew when the process's mapped file pages exceed this (KiB); 0:
    /// unknown (no `/proc`), renew by count.
    limit_kib: u64,
}

impl Budget {
    /// A budget for a phase that begins now.
    pub(crate) fn new() -> Budget {
        let bytes = std::env::var("KEYSCAN_GIT_MAP_BUDGET_MB")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(DEFAULT_BUDGET, |mb| mb << 20);
        Budget {
            limit_kib: mapped_file_kib().map_or(0, |now| now + (bytes >> 10)),
        }
    }

    fn exceeded(&self) -> bool {
        match mapped_file_kib() {
            Some(now) if self.limit_kib > 0 => now > self.limit_kib,
            _ => false,
        }
    }
}

/// The process's resident file-backed pages, in KiB (Linux).
fn mapped_file_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("RssFile:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A handle on a private object store, renewed within a [`Budget`].
pub(crate) struct Odb<'b> {
    handle: gix::odb::Handle,
    source: Source,
    cache: usize,
    budget: &'b Budget,
    since_check: u32,
    since_renew: u64,
}

impl Odb<'_> {
    /// The handle for the next read; call once per object read (renewing
    /// the store, if due, drops locations' mappings: take none across calls
    /// other than pack locations, which stay valid).
    pub(crate) fn get(&mut self) -> &gix::odb::Handle {
        self.since_check += 1;
        self.since_renew += 1;
        if self.since_check >= CHECK_EVERY {
            self.since_check = 0;
            let due = if self.budget.limit_kib > 0 {
                self.budget.exceeded()
            } else {
                self.since_renew >= BLIND_RENEW_EVERY
            };
            if due {
                self.renew();
            }
        }
        &self.handle
    }

    /// Drop the store and open a new one.
    pub(crate) fn renew(&mut self) {
        self.handle = self.source.handle(self.cache);
        self.since_renew = 0;
        RENEWALS.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_pages_are_readable_here() {
        // The budget is only enforced where the kernel tells mapped pages.
        if cfg!(target_os = "linux") {
            assert!(mapped_file_kib().is_some_and(|k| k > 0));
        }
    }
}
