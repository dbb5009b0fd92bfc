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

type Cache = LruCache<RequestDigest, (Instant, serde_json::Value)>;

/// Successful answers kept for `ttl`, at most `capacity` of them per endpoint: `/verify`
/// answers (anyone with a valid voucher can ask for many) never push out a `/settle` answer
/// a client may still ask for again.
#[derive(Debug)]
pub struct Answers {
    verify: Cache,
    settle: Cache,
    ttl: Duration,
}

impl Answers {
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        let cap = NonZeroUsize::new(capacity.max(1)).unwrap_or(NonZeroUsize::MIN);
        Answers {
            verify: LruCache::new(cap),
            settle: LruCache::new(cap),
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
        let ttl = self.ttl;
        let cache = self.cache(endpoint);
        match cache.get(&digest) {
            Some((at, v)) if now.duration_since(*at) <= ttl => Some(v.clone()),
            Some(_) => {
                cache.pop(&digest);
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
        self.cache(endpoint).put(digest, (now, answer));
        metrics::gauge!("computestream_settler_facilitator_answers").set(self.len() as f64);
    }

    fn cache(&mut self, endpoint: Endpoint) -> &mut Cache {
        match endpoint {
            Endpoint::Verify => &mut self.verify,
            Endpoint::Settle => &mut self.settle,
        }
    }

    fn len(&self) -> usize {
        self.verify.len() + self.settle.len()
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

    #[test]
    fn verify_answers_never_push_out_a_settle_answer() {
        let t0 = Instant::now();
        let mut a = Answers::new(2, Duration::from_secs(60));
        let d = |i: u32| RequestDigest::of(&i.to_le_bytes());
        a.put(Endpoint::Settle, d(0), json!("settled"), t0);
        for i in 1..100 {
            a.put(Endpoint::Verify, d(i), json!(i), t0);
        }
        assert_eq!(a.get(Endpoint::Settle, d(0), t0), Some(json!("settled")));
        assert_eq!(a.len(), 3, "each endpoint bounded");
    }
}
