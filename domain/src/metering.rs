//! The provider's signed, hash-chained per-second metering record: the evidence of service.

use serde::{Deserialize, Serialize};
use sha3::{Digest, Sha3_256};
use thiserror::Error;

use crate::hex_bytes::hex_bytes_type;
use crate::{
    AccountAddress, BcsWriter, PublicKey, Signature, SignatureChecked, SigningKey, VoucherContext,
};

/// Domain separator of metering signatures, version 1.
pub const METERING_DOMAIN: &[u8] = b"computestream::metering::v1";

/// A SHA3-256 digest of a record's signing bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RecordHash(pub [u8; 32]);

hex_bytes_type!(RecordHash, 32, "SHA3-256 record hash");

/// `prev_hash` of a stream's first record (second 1).
pub const METERING_GENESIS_HASH: RecordHash = RecordHash([0; 32]);

/// GPU usage during one second, when the job has a GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GpuSample {
    /// Utilisation in percent, 0..=100.
    pub utilization_percent: u8,
    pub memory_bytes: u64,
}

/// What the provider attests for second `second` (1-based) of stream `stream_id`.
///
/// Signed bytes: BCS of `(domain: vector<u8>, chain_id: u8, package: address,
/// stream_id: u64, provider: address, second: u64, prev_hash: vector<u8>,
/// observed_at_ms: u64, cpu_usage_micros: u64, memory_bytes: u64,
/// gpu: Option<(u8, u64)>)`. Each record names the hash of the previous one, so the
/// sequence cannot be reordered, cut or forked without breaking the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MeteringRecord {
    pub chain_id: u8,
    pub package: AccountAddress,
    pub stream_id: u64,
    pub provider: AccountAddress,
    pub second: u64,
    pub prev_hash: RecordHash,
    /// Wall clock of the sample, unix milliseconds.
    pub observed_at_ms: u64,
    /// CPU time the container used during this second, microseconds.
    pub cpu_usage_micros: u64,
    pub memory_bytes: u64,
    pub gpu: Option<GpuSample>,
}

impl MeteringRecord {
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut w = BcsWriter::new();
        w.bytes(METERING_DOMAIN)
            .u8(self.chain_id)
            .address(&self.package)
            .u64(self.stream_id)
            .address(&self.provider)
            .u64(self.second)
            .bytes(&self.prev_hash.0)
            .u64(self.observed_at_ms)
            .u64(self.cpu_usage_micros)
            .u64(self.memory_bytes);
        match self.gpu {
            None => w.option_none(),
            Some(g) => w
                .option_some()
                .u8(g.utilization_percent)
                .u64(g.memory_bytes),
        };
        w.finish()
    }

    /// The hash the next record must name as `prev_hash`.
    pub fn hash(&self) -> RecordHash {
        RecordHash(Sha3_256::digest(self.signing_bytes()).into())
    }

    pub fn sign(self, key: &SigningKey) -> SignedMeteringRecord {
        SignedMeteringRecord {
            signature: key.sign(&self.signing_bytes()),
            provider_public_key: key.public_key(),
            record: self,
        }
    }
}

/// A metering record with the provider's ed25519 signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SignedMeteringRecord {
    pub record: MeteringRecord,
    pub provider_public_key: PublicKey,
    pub signature: Signature,
}

impl SignedMeteringRecord {
    /// Whether the signature verifies (strict ed25519) against the key the record carries.
    pub fn signature_is_valid(&self) -> bool {
        self.provider_public_key
            .verify_strict(&self.record.signing_bytes(), &self.signature)
    }
}

/// Why a metering record is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MeteringError {
    #[error("record is for another chain, package or stream")]
    WrongContext,
    #[error("record is signed by a key that is not the provider's")]
    WrongSigner,
    #[error("record signature does not verify")]
    BadSignature,
    #[error("record for second {got} arrived, expected second {expected}")]
    Gap { expected: u64, got: u64 },
    #[error("record for second {second} does not chain to the previous record")]
    BrokenChain { second: u64 },
    #[error("a different record for second {second} was already accepted")]
    Fork { second: u64 },
}

/// What accepting a record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeteringVerdict {
    /// The record extends the chain by one second.
    Appended,
    /// The exact record already accepted as the head (a redelivery); nothing changes.
    Duplicate,
    /// A correctly signed record for a second before the head: already covered, ignored.
    /// (Only the head's hash is kept, so older seconds are not compared.)
    Stale,
}

/// The verified head of one stream's metering chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeteringChain {
    ctx: VoucherContext,
    stream_id: u64,
    provider_key: PublicKey,
    seconds: u64,
    head: RecordHash,
}

impl MeteringChain {
    pub fn new(ctx: VoucherContext, stream_id: u64, provider_key: PublicKey) -> Self {
        MeteringChain {
            ctx,
            stream_id,
            provider_key,
            seconds: 0,
            head: METERING_GENESIS_HASH,
        }
    }

    /// Seconds attested so far (the chain is gapless, so this is also the last second).
    pub fn attested_seconds(&self) -> u64 {
        self.seconds
    }

    pub fn head(&self) -> RecordHash {
        self.head
    }

    /// Verifies `signed` and appends it if it is the next second. Redelivery of the last
    /// accepted record is a harmless [`MeteringVerdict::Duplicate`].
    pub fn accept(
        &mut self,
        signed: &SignedMeteringRecord,
    ) -> Result<MeteringVerdict, MeteringError> {
        self.accept_checked(&SignatureChecked::metering(*signed)?)
    }

    /// [`MeteringChain::accept`] for a record whose signature was already verified.
    pub fn accept_checked(
        &mut self,
        checked: &SignatureChecked<SignedMeteringRecord>,
    ) -> Result<MeteringVerdict, MeteringError> {
        let signed = checked.get();
        let r = &signed.record;
        if r.chain_id != self.ctx.chain_id
            || r.package != self.ctx.package
            || r.stream_id != self.stream_id
        {
            return Err(MeteringError::WrongContext);
        }
        if signed.provider_public_key != self.provider_key {
            return Err(MeteringError::WrongSigner);
        }
        if r.second == self.seconds && self.seconds > 0 {
            return if r.hash() == self.head {
                Ok(MeteringVerdict::Duplicate)
            } else {
                Err(MeteringError::Fork { second: r.second })
            };
        }
        if r.second < self.seconds {
            return Ok(MeteringVerdict::Stale);
        }
        if r.second != self.seconds + 1 {
            return Err(MeteringError::Gap {
                expected: self.seconds + 1,
                got: r.second,
            });
        }
        if r.prev_hash != self.head {
            return Err(MeteringError::BrokenChain { second: r.second });
        }
        self.seconds = r.second;
        self.head = r.hash();
        Ok(MeteringVerdict::Appended)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> VoucherContext {
        VoucherContext {
            chain_id: 4,
            package: "0xcafe".parse().expect("addr"),
        }
    }

    fn record(second: u64, prev: RecordHash) -> MeteringRecord {
        MeteringRecord {
            chain_id: 4,
            package: ctx().package,
            stream_id: 3,
            provider: "0xbeef".parse().expect("addr"),
            second,
            prev_hash: prev,
            observed_at_ms: 1_700_000_000_000 + second * 1000,
            cpu_usage_micros: 250_000,
            memory_bytes: 1 << 20,
            gpu: None,
        }
    }

    #[test]
    fn chain_accepts_in_order_and_rejects_tampering() {
        let key = SigningKey::from_seed([3; 32]);
        let mut chain = MeteringChain::new(ctx(), 3, key.public_key());
        let r1 = record(1, METERING_GENESIS_HASH).sign(&key);
        let r2 = record(2, r1.record.hash()).sign(&key);
        assert_eq!(chain.accept(&r1), Ok(MeteringVerdict::Appended));
        assert_eq!(chain.accept(&r1), Ok(MeteringVerdict::Duplicate));
        let r3 = record(3, r2.record.hash()).sign(&key);
        assert_eq!(
            chain.accept(&r3),
            Err(MeteringError::Gap {
                expected: 2,
                got: 3
            })
        );
        let bad_link = record(2, METERING_GENESIS_HASH).sign(&key);
        assert_eq!(
            chain.accept(&bad_link),
            Err(MeteringError::BrokenChain { second: 2 })
        );
        assert_eq!(chain.accept(&r2), Ok(MeteringVerdict::Appended));
        let mut fork = record(2, r1.record.hash());
        fork.cpu_usage_micros += 1;
        assert_eq!(
            chain.accept(&fork.sign(&key)),
            Err(MeteringError::Fork { second: 2 })
        );
        let mut forged = r3;
        forged.record.memory_bytes = 0;
        assert_eq!(chain.accept(&forged), Err(MeteringError::BadSignature));
        assert_eq!(chain.attested_seconds(), 2);
    }

    #[test]
    fn gpu_sample_changes_the_signed_bytes() {
        let mut with_gpu = record(1, METERING_GENESIS_HASH);
        with_gpu.gpu = Some(GpuSample {
            utilization_percent: 90,
            memory_bytes: 8 << 30,
        });
        let plain = record(1, METERING_GENESIS_HASH);
        assert_ne!(with_gpu.signing_bytes(), plain.signing_bytes());
        assert_eq!(plain.signing_bytes().last(), Some(&0u8));
    }
}
