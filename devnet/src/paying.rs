//! The off-chain side of a workload job (see [`crate::load`]): every second, the provider's
//! signed, hash-chained metering record and the buyer's cumulative voucher.

use computestream_domain::{
    ed25519_authentication_key, AccountAddress, MeteringRecord, Octas, RecordHash,
    SignedMeteringRecord, SignedVoucher, SigningKey, Voucher, METERING_GENESIS_HASH,
};

use crate::load::{buyer_seed, provider_seed, PRICE_PER_SECOND};
use crate::ChainIdentity;

/// Job `job_index` of a workload with `providers` providers, paying per second.
#[derive(Debug, Clone)]
pub struct PayingStream {
    pub stream_id: u64,
    pub provider: SigningKey,
    pub buyer: SigningKey,
    pub rate: Octas,
    /// Seconds metered and paid so far.
    pub second: u64,
    id: ChainIdentity,
    prev: RecordHash,
}

impl PayingStream {
    pub fn for_job(id: ChainIdentity, job_index: usize, providers: usize) -> Self {
        PayingStream {
            stream_id: job_index as u64 + 1,
            provider: SigningKey::from_seed(provider_seed(job_index % providers.max(1))),
            buyer: SigningKey::from_seed(buyer_seed(job_index)),
            rate: Octas(PRICE_PER_SECOND),
            second: 0,
            id,
            prev: METERING_GENESIS_HASH,
        }
    }

    pub fn provider_address(&self) -> AccountAddress {
        ed25519_authentication_key(&self.provider.public_key())
    }

    /// The buyer's voucher for `cumulative` octas on this stream.
    pub fn voucher(&self, cumulative: Octas) -> SignedVoucher {
        Voucher {
            chain_id: self.id.chain_id,
            package: self.id.package,
            stream_id: self.stream_id,
            cumulative_amount: cumulative,
        }
        .sign(&self.buyer)
    }

    /// The next second: its metering record (chained to the previous one) and the voucher
    /// paying through it.
    pub fn tick(&mut self, observed_at_ms: u64) -> (SignedMeteringRecord, SignedVoucher) {
        self.second += 1;
        let r = MeteringRecord {
            chain_id: self.id.chain_id,
            package: self.id.package,
            stream_id: self.stream_id,
            provider: self.provider_address(),
            second: self.second,
            prev_hash: self.prev,
            observed_at_ms,
            cpu_usage_micros: 900_000,
            memory_bytes: 256 << 20,
            gpu: None,
        };
        self.prev = r.hash();
        let paid_through = self.rate.saturating_mul(self.second);
        (r.sign(&self.provider), self.voucher(paid_through))
    }
}
