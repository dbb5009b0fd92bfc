//! A bounded map whose entries expire a fixed time after insertion, for tables keyed by
//! outside input (sign-in nonces and sessions, per-client rate windows). Insertion order is
//! expiry order (one time-to-live per map), so expired entries leave from the front of a
//! queue in O(1) each, and a full map evicts its oldest entry: insertion is O(1) amortised
//! and the map never holds more than `capacity` entries. Keys removed early leave a stale
//! queue slot, skipped when reached; the queue is compacted when it grows past twice the
//! capacity, so it stays bounded too.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

#[derive(Debug)]
pub struct ExpiringMap<K, V> {
    capacity: usize,
    ttl_ms: u64,
    entries: HashMap<K, (V, u64)>,
    /// (key, expiry ms) in insertion order.
    order: VecDeque<(K, u64)>,
}

impl<K: Hash + Eq + Clone, V> ExpiringMap<K, V> {
    /// `capacity` entries at most (at least 1), each living `ttl_ms` from its insertion.
    pub fn new(capacity: usize, ttl_ms: u64) -> Self {
        ExpiringMap {
            capacity: capacity.max(1),
            ttl_ms,
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Drops what has expired at `now_ms`.
    fn expire(&mut self, now_ms: u64) {
        while let Some((k, exp)) = self.order.front() {
            if *exp > now_ms {
                break;
            }
            if self.entries.get(k).is_some_and(|(_, e)| e == exp) {
                self.entries.remove(k);
            }
            self.order.pop_front();
        }
    }

    /// Inserts `k` (replacing an entry of the same key) to live `ttl_ms` from `now_ms`,
    /// evicting the oldest entry when full. Returns the expiry.
    pub fn insert(&mut self, k: K, v: V, now_ms: u64) -> u64 {
        self.expire(now_ms);
        while self.entries.len() >= self.capacity && !self.entries.contains_key(&k) {
            let Some((old, exp)) = self.order.pop_front() else {
                break;
            };
            if self.entries.get(&old).is_some_and(|(_, e)| *e == exp) {
                self.entries.remove(&old);
            }
        }
        let exp = now_ms.saturating_add(self.ttl_ms);
        self.entries.insert(k.clone(), (v, exp));
        self.order.push_back((k, exp));
        if self.order.len() > 2 * self.capacity {
            let entries = &self.entries;
            self.order
                .retain(|(k, e)| entries.get(k).is_some_and(|(_, x)| x == e));
        }
        exp
    }

    /// The live entry of `k` and its expiry.
    pub fn get(&mut self, k: &K, now_ms: u64) -> Option<(&V, u64)> {
        self.expire(now_ms);
        self.entries.get(k).map(|(v, e)| (v, *e))
    }

    /// The live entry of `k`, mutable.
    pub fn get_mut(&mut self, k: &K, now_ms: u64) -> Option<&mut V> {
        self.expire(now_ms);
        self.entries.get_mut(k).map(|(v, _)| v)
    }

    /// Takes the live entry of `k` out.
    pub fn remove(&mut self, k: &K, now_ms: u64) -> Option<V> {
        self.expire(now_ms);
        self.entries.remove(k).map(|(v, _)| v)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Queue slots held (live entries and stale slots), at most twice the capacity.
    pub fn slots(&self) -> usize {
        self.order.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_the_oldest_goes_when_full() {
        let mut m = ExpiringMap::new(3, 100);
        for (i, k) in ["a", "b", "c"].into_iter().enumerate() {
            m.insert(k, i, i as u64);
        }
        m.insert("d", 3, 10);
        assert_eq!(m.len(), 3);
        assert!(m.get(&"a", 10).is_none(), "the oldest was evicted");
        assert_eq!(m.get(&"b", 10).map(|(v, _)| *v), Some(1));
        assert!(m.get(&"b", 101).is_none(), "expired 100 ms after insertion");
        assert_eq!(m.len(), 2);
        assert_eq!(m.remove(&"d", 102), Some(3));
        assert!(m.is_empty() || m.len() == 1);
    }

    #[test]
    fn a_million_insertions_and_removals_stay_bounded() {
        let mut m = ExpiringMap::new(1_000, 60_000);
        for i in 0..1_000_000u64 {
            m.insert(i, (), 0);
            if i % 2 == 0 {
                m.remove(&i, 0);
            }
            assert!(m.len() <= 1_000 && m.slots() <= 2_000);
        }
    }
}
