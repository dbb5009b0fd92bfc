//! Signatures verified once, ahead of the code that applies what they sign.

use crate::{MeteringError, SignedMeteringRecord, SignedVoucher, VoucherError};

/// A signed message whose signature verified (strict ed25519) against the public key it
/// carries. It can only be made by checking, so a consumer may verify signatures in
/// parallel and then apply the messages in order on one thread without checking again.
/// Whether the key is the *right* key (the stream's buyer, the job's provider) is still
/// decided by the code that applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureChecked<T>(T);

impl<T> SignatureChecked<T> {
    pub fn get(&self) -> &T {
        &self.0
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl SignatureChecked<SignedVoucher> {
    pub fn voucher(sv: SignedVoucher) -> Result<Self, VoucherError> {
        if sv.signature_is_valid() {
            Ok(SignatureChecked(sv))
        } else {
            Err(VoucherError::BadSignature)
        }
    }
}

impl SignatureChecked<SignedMeteringRecord> {
    pub fn metering(r: SignedMeteringRecord) -> Result<Self, MeteringError> {
        if r.signature_is_valid() {
            Ok(SignatureChecked(r))
        } else {
            Err(MeteringError::BadSignature)
        }
    }
}
