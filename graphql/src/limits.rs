//! Rate limits per client address (a fixed one-minute window each, in a bounded table), the
//! client address in an operation's context, and the persisted-query allowlist's hash.

use std::net::IpAddr;
use std::sync::Mutex;

use computestream_runtime::now_ms;

use sha2::{Digest, Sha256};

use crate::expiring_map::ExpiringMap;

/// The client address of a request or WebSocket connection, in the resolvers' context
/// (per-client limits inside operations, e.g. sign-in nonces).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Clients whose windows a limiter keeps; past it the oldest window is forgotten.
pub const MAX_CLIENTS: usize = 100_000;

/// A per-client limit of `per_minute` actions in each client's one-minute window (a fixed
/// window, opened by the client's first action), in a bounded table.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    windows: Mutex<ExpiringMap<IpAddr, u32>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self::with_clients(per_minute, MAX_CLIENTS)
    }

    pub fn with_clients(per_minute: u32, clients: usize) -> Self {
        RateLimiter {
            per_minute,
            windows: Mutex::new(ExpiringMap::new(clients, 60_000)),
        }
    }

    /// Counts one action of `ip`; false when its window is used up.
    pub fn allow(&self, ip: IpAddr) -> bool {
        self.allow_at(ip, now_ms())
    }

    fn allow_at(&self, ip: IpAddr, now: u64) -> bool {
        let mut m = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        match m.get_mut(&ip, now) {
            Some(n) if *n >= self.per_minute => false,
            Some(n) => {
                *n += 1;
                true
            }
            None => {
                m.insert(ip, 1, now);
                self.per_minute >= 1
            }
        }
    }
}

/// SHA-256 (hex) of a GraphQL document, as allowlists name them.
pub fn document_hash(query: &str) -> String {
    hex::encode(Sha256::digest(query.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_empties_and_other_clients_are_unaffected() {
        let r = RateLimiter::new(3);
        let a: IpAddr = "10.0.0.1".parse().expect("ip");
        let b: IpAddr = "10.0.0.2".parse().expect("ip");
        assert!(r.allow(a) && r.allow(a) && r.allow(a));
        assert!(!r.allow(a));
        assert!(r.allow(b));
    }

    #[test]
    fn a_window_reopens_after_a_minute_and_the_table_is_bounded() {
        let r = RateLimiter::with_clients(1, 10);
        let a: IpAddr = "10.0.0.1".parse().expect("ip");
        assert!(r.allow_at(a, 0) && !r.allow_at(a, 59_999));
        assert!(r.allow_at(a, 60_000));
        for i in 0..1_000u32 {
            r.allow_at(IpAddr::from(i.to_be_bytes()), 60_000);
        }
        assert!(r.windows.lock().expect("lock").len() <= 10);
    }
}
