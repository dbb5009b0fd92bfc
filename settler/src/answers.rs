//! The facilitator's memory of its successful answers, so a client that lost a response can
//! ask again and get the same answer (the same commitment id), not a refusal of the voucher it
//! already paid with. Keyed by the SHA3-256 of the canonical request (the request parsed and
//! serialised again, so whitespace and field order do not matter) and the endpoint; bounded
//! (least recently used entries go first) and expiring.

use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use lru::LruCache;
use sha3::{Digest, Sha3_256};

/// Which endpoint answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Verify,
    Settle,
}

/// A request's identity: its canonical bytes' digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestDigest([u8; 32]);

impl RequestDigest {
    pub fn of(canonical: &[u8]) -> Self {
        RequestDigest(Sha3_256::digest(canonical).into())
    }
}

/// Successful answers kept for `ttl`, at most `capacity` of them.
#[derive(Debug)]
pub struct Answers {
    cache: LruCache<(Endpoint, RequestDigest), (Instant, serde_json::Value)>,
    ttl: Duration,
}

impl Answers {
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Answers {
            cache: LruCache::new(NonZeroUsize::new(capacity.max(1)).unwrap_or(NonZeroUsize::MIN)),
            ttl,
        }
    }

    /// The answer given to this request, if it is still remembered.
    pub fn get(
        &mut self,
        endpoint: Endpoint,
        digest: RequestDigest,
        now: Instant,
    ) -> Option<serde_json::Value> {
        let key = (endpoint, digest);
        match self.cache.get(&key) {
            Some((at, v)) if now.duration_since(*at) <= self.ttl => Some(v.clone()),
            Some(_) => {
                self.cache.pop(&key);
                None
            }
            None => None,
        }
    }

    pub fn put(
        &mut self,
        endpoint: Endpoint,
        digest: RequestDigest,
        answer: serde_json::Value,
        now: Instant,
    ) {
        self.cache.put((endpoint, digest), (now, answer));
        metrics::gauge!("computestream_settler_facilitator_answers").set(self.cache.len() as f64);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.cache.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_answer_is_returned_until_it_expires_and_the_cache_stays_bounded() {
        let t0 = Instant::now();
        let mut a = Answers::new(2, Duration::from_secs(60));
        let d = |b: &[u8]| RequestDigest::of(b);
        a.put(
            Endpoint::Settle,
            d(b"one"),
            json!({"commitmentId": "0x1"}),
            t0,
        );
        assert_eq!(
            a.get(Endpoint::Settle, d(b"one"), t0),
            Some(json!({"commitmentId": "0x1"}))
        );
        assert_eq!(a.get(Endpoint::Verify, d(b"one"), t0), None, "per endpoint");
        a.put(Endpoint::Settle, d(b"two"), json!(2), t0);
        a.put(Endpoint::Settle, d(b"three"), json!(3), t0);
        assert_eq!(a.len(), 2, "bounded");
        assert_eq!(
            a.get(Endpoint::Settle, d(b"two"), t0 + Duration::from_secs(61)),
            None,
            "expired"
        );
    }
}
