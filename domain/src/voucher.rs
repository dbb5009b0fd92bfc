//! The buyer's cumulative payment voucher (x402 streaming) and the book a settler keeps.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{AccountAddress, BcsWriter, Octas, PublicKey, Signature, SignatureChecked, SigningKey};

/// Domain separator of voucher signatures, version 1. It is the first field of the signed
/// struct, so a voucher signature can never be replayed as any other message.
pub const VOUCHER_DOMAIN: &[u8] = b"computestream::voucher::v1";

/// Where a voucher is valid: one chain and one deployment of the package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VoucherContext {
    pub chain_id: u8,
    pub package: AccountAddress,
}

/// "I owe `cumulative_amount` octas in total on stream `stream_id`." Each voucher supersedes
/// the previous one; the contract pays `cumulative_amount - already_paid`.
///
/// Signed bytes are the BCS encoding of the Move struct
/// `computestream::payment_stream::VoucherMessage`:
///
/// ```text
/// struct VoucherMessage { domain: vector<u8>, chain_id: u8, package: address,
///                         stream_id: u64, cumulative_amount: u64 }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Voucher {
    pub chain_id: u8,
    pub package: AccountAddress,
    pub stream_id: u64,
    pub cumulative_amount: Octas,
}

impl Voucher {
    /// The exact bytes the buyer signs and the contract verifies.
    pub fn signing_bytes(&self) -> Vec<u8> {
        BcsWriter::new()
            .bytes(VOUCHER_DOMAIN)
            .u8(self.chain_id)
            .address(&self.package)
            .u64(self.stream_id)
            .u64(self.cumulative_amount.get())
            .finish()
    }

    /// The x402 commitment id of this voucher: SHA3-256 of its signed bytes, hex. Two
    /// vouchers share it only if they are the same voucher.
    pub fn commitment_id(&self) -> String {
        use sha3::{Digest, Sha3_256};
        format!("0x{}", hex::encode(Sha3_256::digest(self.signing_bytes())))
    }

    pub fn sign(self, key: &SigningKey) -> SignedVoucher {
        SignedVoucher {
            signature: key.sign(&self.signing_bytes()),
            buyer_public_key: key.public_key(),
            voucher: self,
        }
    }
}

/// A voucher with the buyer's ed25519 signature over [`Voucher::signing_bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SignedVoucher {
    pub voucher: Voucher,
    pub buyer_public_key: PublicKey,
    pub signature: Signature,
}

/// Why a voucher is refused. Each is final for that voucher.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VoucherError {
    #[error("voucher is for chain {got}, expected {expected}")]
    WrongChain { expected: u8, got: u8 },
    #[error("voucher is for package {got}, expected {expected}")]
    WrongPackage {
        expected: AccountAddress,
        got: AccountAddress,
    },
    #[error("voucher is for stream {got}, expected {expected}")]
    WrongStream { expected: u64, got: u64 },
    #[error("voucher is signed by a key that is not the stream's buyer key")]
    WrongSigner,
    #[error("voucher signature does not verify")]
    BadSignature,
    #[error("voucher of {got} octas is below the newest accepted {newest}")]
    Decreasing { newest: Octas, got: Octas },
    #[error("voucher of {got} octas exceeds the escrow of {escrow}")]
    ExceedsEscrow { escrow: Octas, got: Octas },
}

impl VoucherError {
    /// The x402 `invalidReason` code for this rejection.
    pub fn x402_reason(&self) -> &'static str {
        match self {
            VoucherError::WrongChain { .. } => "invalid_network",
            VoucherError::WrongPackage { .. } | VoucherError::WrongStream { .. } => {
                "invalid_payload"
            }
            VoucherError::WrongSigner | VoucherError::BadSignature => "invalid_signature",
            VoucherError::Decreasing { .. } => "invalid_cumulative_amount",
            VoucherError::ExceedsEscrow { .. } => "insufficient_funds",
        }
    }
}

impl SignedVoucher {
    /// Checks everything that does not depend on earlier vouchers: chain, package, stream,
    /// signer and signature (strict ed25519, as on chain).
    pub fn verify(
        &self,
        ctx: &VoucherContext,
        stream_id: u64,
        buyer: &PublicKey,
    ) -> Result<(), VoucherError> {
        self.verify_context(ctx, stream_id, buyer)?;
        if !self.signature_is_valid() {
            return Err(VoucherError::BadSignature);
        }
        Ok(())
    }

    /// Whether the signature verifies (strict ed25519) against the key the voucher carries.
    pub fn signature_is_valid(&self) -> bool {
        self.buyer_public_key
            .verify_strict(&self.voucher.signing_bytes(), &self.signature)
    }

    /// Everything [`SignedVoucher::verify`] checks except the signature itself.
    pub fn verify_context(
        &self,
        ctx: &VoucherContext,
        stream_id: u64,
        buyer: &PublicKey,
    ) -> Result<(), VoucherError> {
        let v = &self.voucher;
        if v.chain_id != ctx.chain_id {
            return Err(VoucherError::WrongChain {
                expected: ctx.chain_id,
                got: v.chain_id,
            });
        }
        if v.package != ctx.package {
            return Err(VoucherError::WrongPackage {
                expected: ctx.package,
                got: v.package,
            });
        }
        if v.stream_id != stream_id {
            return Err(VoucherError::WrongStream {
                expected: stream_id,
                got: v.stream_id,
            });
        }
        if self.buyer_public_key != *buyer {
            return Err(VoucherError::WrongSigner);
        }
        Ok(())
    }
}

/// The valid vouchers of one stream that may still pay something, ordered by amount.
///
/// A settler redeems one voucher per stream: the largest whose amount is within what the
/// provider has attested (seconds × rate) and the escrow. Vouchers at or below what is
/// already paid are dropped: redeeming them would pay nothing.
#[derive(Debug, Clone)]
pub struct VoucherBook {
    ctx: VoucherContext,
    stream_id: u64,
    buyer: PublicKey,
    escrow: Octas,
    paid: Octas,
    /// Strictly increasing by `cumulative_amount`.
    vouchers: Vec<SignedVoucher>,
}

impl VoucherBook {
    pub fn new(ctx: VoucherContext, stream_id: u64, buyer: PublicKey, escrow: Octas) -> Self {
        VoucherBook {
            ctx,
            stream_id,
            buyer,
            escrow,
            paid: Octas::ZERO,
            vouchers: Vec::new(),
        }
    }

    /// Verifies and keeps a voucher. Returns `Ok(true)` when it was new, `Ok(false)` for an
    /// exact duplicate or an amount already paid (both harmless to see again).
    pub fn offer(&mut self, sv: SignedVoucher) -> Result<bool, VoucherError> {
        self.offer_checked(SignatureChecked::voucher(sv)?)
    }

    /// [`VoucherBook::offer`] for a voucher whose signature was already verified (e.g. in
    /// parallel, off the thread that owns the book).
    pub fn offer_checked(
        &mut self,
        checked: SignatureChecked<SignedVoucher>,
    ) -> Result<bool, VoucherError> {
        let sv = checked.into_inner();
        sv.verify_context(&self.ctx, self.stream_id, &self.buyer)?;
        let amount = sv.voucher.cumulative_amount;
        if amount > self.escrow {
            return Err(VoucherError::ExceedsEscrow {
                escrow: self.escrow,
                got: amount,
            });
        }
        if amount <= self.paid {
            return Ok(false);
        }
        match self
            .vouchers
            .binary_search_by_key(&amount, |v| v.voucher.cumulative_amount)
        {
            Ok(_) => Ok(false),
            Err(pos) => {
                self.vouchers.insert(pos, sv);
                Ok(true)
            }
        }
    }

    /// The escrow grew (a top-up): larger vouchers become redeemable.
    pub fn set_escrow(&mut self, escrow: Octas) {
        self.escrow = self.escrow.max(escrow);
    }

    /// The largest amount seen: the newest unpaid voucher, else what is paid.
    pub fn newest_amount(&self) -> Octas {
        self.newest()
            .map(|v| v.voucher.cumulative_amount)
            .unwrap_or(self.paid)
    }

    /// The newest (largest) valid voucher seen that is not yet paid.
    pub fn newest(&self) -> Option<&SignedVoucher> {
        self.vouchers.last()
    }

    /// The largest voucher whose amount is at most `bound` (e.g. attested seconds × rate).
    pub fn best_at_most(&self, bound: Octas) -> Option<&SignedVoucher> {
        let idx = self
            .vouchers
            .partition_point(|v| v.voucher.cumulative_amount <= bound);
        idx.checked_sub(1).map(|i| &self.vouchers[i])
    }

    /// Records that the chain has paid `paid` in total on this stream.
    pub fn mark_paid(&mut self, paid: Octas) {
        if paid > self.paid {
            self.paid = paid;
        }
        let keep_from = self
            .vouchers
            .partition_point(|v| v.voucher.cumulative_amount <= self.paid);
        self.vouchers.drain(..keep_from);
    }

    pub fn paid(&self) -> Octas {
        self.paid
    }

    pub fn len(&self) -> usize {
        self.vouchers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vouchers.is_empty()
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

    fn voucher(amount: u64) -> Voucher {
        Voucher {
            chain_id: 4,
            package: ctx().package,
            stream_id: 9,
            cumulative_amount: Octas(amount),
        }
    }

    #[test]
    fn layout_is_bcs_of_the_move_struct() {
        let bytes = voucher(0x0102).signing_bytes();
        let mut expected = vec![VOUCHER_DOMAIN.len() as u8];
        expected.extend_from_slice(VOUCHER_DOMAIN);
        expected.push(4);
        expected.extend_from_slice(ctx().package.as_bytes());
        expected.extend_from_slice(&9u64.to_le_bytes());
        expected.extend_from_slice(&0x0102u64.to_le_bytes());
        assert_eq!(bytes, expected);
    }

    #[test]
    fn rejects_each_kind_of_bad_voucher() {
        let buyer = SigningKey::from_seed([1; 32]);
        let mallory = SigningKey::from_seed([2; 32]);
        let pk = buyer.public_key();
        let good = voucher(10).sign(&buyer);
        assert_eq!(good.verify(&ctx(), 9, &pk), Ok(()));

        let mut wrong_chain = voucher(10);
        wrong_chain.chain_id = 5;
        assert!(matches!(
            wrong_chain.sign(&buyer).verify(&ctx(), 9, &pk),
            Err(VoucherError::WrongChain { .. })
        ));
        assert!(matches!(
            good.verify(&ctx(), 8, &pk),
            Err(VoucherError::WrongStream { .. })
        ));
        assert_eq!(
            voucher(10).sign(&mallory).verify(&ctx(), 9, &pk),
            Err(VoucherError::WrongSigner)
        );
        let mut forged = good;
        forged.voucher.cumulative_amount = Octas(11);
        assert_eq!(
            forged.verify(&ctx(), 9, &pk),
            Err(VoucherError::BadSignature)
        );
    }

    #[test]
    fn book_keeps_best_within_bound_and_prunes_paid() {
        let buyer = SigningKey::from_seed([1; 32]);
        let mut book = VoucherBook::new(ctx(), 9, buyer.public_key(), Octas(100));
        for a in [30, 10, 20, 20] {
            book.offer(voucher(a).sign(&buyer)).expect("valid");
        }
        assert_eq!(book.len(), 3);
        assert_eq!(
            book.best_at_most(Octas(25))
                .map(|v| v.voucher.cumulative_amount),
            Some(Octas(20))
        );
        assert!(book.best_at_most(Octas(5)).is_none());
        assert!(matches!(
            book.offer(voucher(101).sign(&buyer)),
            Err(VoucherError::ExceedsEscrow { .. })
        ));
        book.mark_paid(Octas(20));
        assert_eq!(book.len(), 1);
        assert_eq!(book.offer(voucher(15).sign(&buyer)), Ok(false));
    }
}
