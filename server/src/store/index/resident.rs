//! Which tenants' words are in memory, on PostgreSQL. There the index holds words only, and
//! holding every tenant's would make each instance's memory and start-up grow with the whole
//! corpus: instead a tenant's words are read on its first search, kept current from the change
//! log like the rest, and dropped, least recently searched first, when the words held exceed
//! `MEMORY_TEXT_INDEX_MAX_MB`. A search holds its tenant ([`Hold`]) while it reads, so it is
//! never dropped under it. (On SQLite the index holds every tenant: it is also where the
//! vectors are.)

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
};

/// A tenant whose words are in memory.
#[derive(Debug)]
pub struct Resident {
    /// When a search last asked for it, as a tick of [`Residents::clock`].
    last_used: AtomicU64,
}

/// Keeps a tenant's words in memory while a search reads them. Empty where every tenant is
/// held anyway (SQLite).
#[derive(Debug, Clone, Default)]
pub struct Hold {
    _resident: Option<Arc<Resident>>,
}

pub(super) struct Residents {
    cap_bytes: usize,
    /// Counts uses: the order of uses is all eviction needs, and a counter never ties.
    clock: AtomicU64,
    tenants: Mutex<HashMap<String, Arc<Resident>>>,
}

impl Residents {
    pub(super) fn new(cap_bytes: usize) -> Self {
        Self {
            cap_bytes,
            clock: AtomicU64::new(0),
            tenants: Mutex::default(),
        }
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed)
    }

    /// Holds `tenant` if its words are in memory (and marks it used).
    pub(super) fn hold(&self, tenant: &str) -> Option<Hold> {
        let tenants = self.tenants.lock().expect("residents");
        let resident = tenants.get(tenant)?;
        resident.last_used.store(self.tick(), Ordering::Relaxed);
        Some(Hold {
            _resident: Some(resident.clone()),
        })
    }

    pub(super) fn is_resident(&self, tenant: &str) -> bool {
        self.tenants.lock().expect("residents").contains_key(tenant)
    }

    /// Records that `tenant`'s words were just read into memory, and holds it.
    pub(super) fn admit(&self, tenant: &str) -> Hold {
        let resident = Arc::new(Resident {
            last_used: AtomicU64::new(self.tick()),
        });
        self.tenants
            .lock()
            .expect("residents")
            .insert(tenant.to_owned(), resident.clone());
        Hold {
            _resident: Some(resident),
        }
    }

    /// The tenants to drop, least recently used first, so that the words held (`total` bytes,
    /// `size` of each tenant) fit under the cap; tenants a search holds are kept. They are no
    /// longer resident when this returns: the caller drops their words.
    pub(super) fn evict(&self, total: usize, size: impl Fn(&str) -> usize) -> Vec<String> {
        if total <= self.cap_bytes {
            return Vec::new();
        }
        let mut tenants = self.tenants.lock().expect("residents");
        let mut idle: Vec<(u64, &String)> = tenants
            .iter()
            .filter(|(_, r)| Arc::strong_count(r) == 1)
            .map(|(t, r)| (r.last_used.load(Ordering::Relaxed), t))
            .collect();
        idle.sort();
        let mut over = total - self.cap_bytes;
        let mut gone = Vec::new();
        for (_, tenant) in idle {
            if over == 0 {
                break;
            }
            over = over.saturating_sub(size(tenant));
            gone.push(tenant.clone());
        }
        for tenant in &gone {
            tenants.remove(tenant);
        }
        gone
    }

    /// Forgets every tenant (the index is starting over).
    pub(super) fn clear(&self) {
        self.tenants.lock().expect("residents").clear();
    }

    /// How many tenants are in memory.
    pub(super) fn count(&self) -> usize {
        self.tenants.lock().expect("residents").len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_idle_tenants_go_first_and_held_ones_stay() {
        let residents = Residents::new(100);
        let held = residents.admit("a");
        drop(residents.admit("b"));
        drop(residents.admit("c"));
        drop(residents.hold("b"));
        // 150 bytes held (cap 100), 60 each: "a" is held, "c" is the least recently used idle
        // one, and dropping it is enough.
        let gone = residents.evict(150, |_| 60);
        assert_eq!(gone, ["c"]);
        let gone = residents.evict(250, |_| 200);
        assert_eq!(gone, ["b"], "one is enough when it is big");
        assert_eq!(
            residents.evict(250, |_| 60),
            Vec::<String>::new(),
            "only the held one left"
        );
        assert!(residents.is_resident("a"));
        drop(held);
        assert_eq!(residents.evict(250, |_| 60), ["a"]);
        assert_eq!(residents.count(), 0);
        assert!(
            residents.evict(100, |_| 60).is_empty(),
            "under the cap: nothing goes"
        );
    }
}
