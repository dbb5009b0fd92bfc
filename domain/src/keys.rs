use std::fmt;

use ed25519_dalek::Signer;
use sha3::{Digest, Sha3_256};

use crate::hex_bytes::{decode_fixed, hex_bytes_type};
use crate::{AccountAddress, DomainError};

/// An ed25519 public key (32 bytes), hex in JSON.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(pub [u8; 32]);

/// An ed25519 signature (64 bytes), hex in JSON.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 64]);

/// An ed25519 signing key. Its `Debug` never prints the secret.
#[derive(Clone)]
pub struct SigningKey(ed25519_dalek::SigningKey);

impl SigningKey {
    /// The key whose 32-byte seed is `seed` (the Aptos private key bytes).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        SigningKey(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// Parses a `0x`-prefixed or bare 64-hex-digit seed, the form Aptos tools print.
    pub fn from_hex(s: &str) -> Result<Self, DomainError> {
        Ok(Self::from_seed(decode_fixed::<32>(
            s,
            "ed25519 private key",
        )?))
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }

    /// The seed bytes; for handing to a chain SDK only, never for logs.
    pub fn seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message).to_bytes())
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SigningKey(public {:?}, secret redacted)",
            self.public_key()
        )
    }
}

impl PublicKey {
    /// A usable voucher key: the bytes decompress to a curve point that is not of small
    /// order, the rule of Move's `ed25519::new_validated_public_key_from_bytes` (which
    /// `payment_stream::open_stream` asserts with `E_BAD_BUYER_KEY`).
    pub fn is_valid(&self) -> bool {
        ed25519_dalek::VerifyingKey::from_bytes(&self.0).is_ok_and(|vk| !vk.is_weak())
    }

    /// Strict ed25519 verification, the rule of Move's `ed25519::signature_verify_strict`:
    /// rejects small-order public keys and non-canonical signatures.
    pub fn verify_strict(&self, message: &[u8], signature: &Signature) -> bool {
        let Ok(vk) = ed25519_dalek::VerifyingKey::from_bytes(&self.0) else {
            return false;
        };
        if vk.is_weak() {
            return false;
        }
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        vk.verify_strict(message, &sig).is_ok()
    }
}

/// The Aptos authentication key of a single ed25519 key: `sha3_256(public_key || 0x00)`.
/// For an account that never rotated its key this is also its address.
pub fn ed25519_authentication_key(pk: &PublicKey) -> AccountAddress {
    let mut h = Sha3_256::new();
    h.update(pk.0);
    h.update([0u8]);
    AccountAddress(h.finalize().into())
}

hex_bytes_type!(PublicKey, 32, "ed25519 public key");
hex_bytes_type!(Signature, 64, "ed25519 signature");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_tamper() {
        let key = SigningKey::from_seed([7; 32]);
        let sig = key.sign(b"hello");
        assert!(key.public_key().verify_strict(b"hello", &sig));
        assert!(!key.public_key().verify_strict(b"hellp", &sig));
        let mut bad = sig;
        bad.0[0] ^= 1;
        assert!(!key.public_key().verify_strict(b"hello", &bad));
    }

    #[test]
    fn small_order_key_is_rejected() {
        // The identity point: a small-order key that would accept forged signatures
        // under non-strict rules.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let sig = Signature([0; 64]);
        assert!(!PublicKey(identity).verify_strict(b"anything", &sig));
    }

    #[test]
    fn debug_hides_the_secret() {
        let key = SigningKey::from_seed([9; 32]);
        let dbg = format!("{key:?}");
        assert!(!dbg.contains(&hex::encode([9u8; 32])));
        assert!(dbg.contains("redacted"));
    }

    #[test]
    fn hex_round_trip() {
        let pk = SigningKey::from_seed([1; 32]).public_key();
        let s = pk.to_string();
        assert_eq!(s.parse::<PublicKey>().ok(), Some(pk));
        assert!("0x1234".parse::<PublicKey>().is_err());
    }
}
