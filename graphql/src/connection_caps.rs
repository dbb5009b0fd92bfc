//! Connections held per client address: a count per address, taken by a permit and given
//! back when the permit drops. An address is in the table only while it holds a
//! connection, so the table is bounded by the connections themselves.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct ClientConnections {
    per_client: usize,
    held: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One held connection; dropping it frees the place.
#[derive(Debug)]
pub struct ConnectionPermit {
    ip: IpAddr,
    held: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

fn lock(m: &Mutex<HashMap<IpAddr, usize>>) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
    // Counts only: a panic elsewhere cannot leave the table inconsistent.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl ClientConnections {
    pub fn new(per_client: usize) -> Self {
        ClientConnections {
            per_client,
            held: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// A place for one more connection of `ip`, if it holds fewer than the cap.
    pub fn try_acquire(&self, ip: IpAddr) -> Option<ConnectionPermit> {
        let mut m = lock(&self.held);
        let n = m.entry(ip).or_insert(0);
        if *n >= self.per_client {
            return None;
        }
        *n += 1;
        Some(ConnectionPermit {
            ip,
            held: self.held.clone(),
        })
    }

    /// Addresses holding a connection.
    #[cfg(test)]
    pub fn clients(&self) -> usize {
        lock(&self.held).len()
    }
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        let mut m = lock(&self.held);
        if let Some(n) = m.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_holds_per_address_and_places_come_back() {
        let c = ClientConnections::new(2);
        let a: IpAddr = "127.0.0.1".parse().expect("ip");
        let b: IpAddr = "127.0.0.2".parse().expect("ip");
        let (p1, p2) = (c.try_acquire(a), c.try_acquire(a));
        assert!(p1.is_some() && p2.is_some());
        assert!(c.try_acquire(a).is_none());
        assert!(
            c.try_acquire(b).is_some(),
            "another address is not affected"
        );
        drop(p1);
        assert!(c.try_acquire(a).is_some());
        drop(p2);
        assert_eq!(
            c.clients(),
            0,
            "addresses leave the table with their last connection"
        );
    }
}
