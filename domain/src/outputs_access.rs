//! Who may download a job's outputs from its provider (docs/DISPUTES.md, "Outputs"): the
//! holder of the stream's voucher key (`StreamOpened.buyer_public_key`, the key that signs
//! the buyer's vouchers), proven by signing a short-lived request. The message is
//! domain-separated from vouchers and metering records, bound to the chain, the package and
//! the job, and expires.
//!
//! Wire form (the `OUTPUTS-AUTHORIZATION` request header): `{expires_ms}.{signature}` with
//! the signature 0x-hex over [`outputs_access_message`].

use crate::{PublicKey, Signature, VoucherContext};

/// The longest a signed request may live, milliseconds (10 minutes).
pub const MAX_OUTPUTS_ACCESS_MS: u64 = 600_000;

/// Why a request for outputs is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutputsAccessError {
    #[error("the authorization is not `{{expires_ms}}.{{0x-hex signature}}`")]
    Malformed,
    #[error("the authorization expired")]
    Expired,
    #[error("the authorization lives longer than {MAX_OUTPUTS_ACCESS_MS} ms")]
    TooLong,
    #[error("the signature is not the stream's voucher key's")]
    BadSignature,
}

/// The bytes the voucher key signs: `computestream-outputs/v1|{chain_id}|{package}|{job_id}|{expires_ms}`.
pub fn outputs_access_message(ctx: VoucherContext, job_id: u64, expires_ms: u64) -> Vec<u8> {
    format!(
        "computestream-outputs/v1|{}|{}|{job_id}|{expires_ms}",
        ctx.chain_id,
        ctx.package.to_long_string()
    )
    .into_bytes()
}

/// Checks `header` (the wire form) for job `job_id` at `now_ms` against the stream's
/// voucher key `key`.
pub fn check_outputs_access(
    ctx: VoucherContext,
    job_id: u64,
    key: &PublicKey,
    header: &str,
    now_ms: u64,
) -> Result<(), OutputsAccessError> {
    let (expires, sig) = header
        .trim()
        .split_once('.')
        .ok_or(OutputsAccessError::Malformed)?;
    let expires_ms: u64 = expires.parse().map_err(|_| OutputsAccessError::Malformed)?;
    let signature: Signature = sig.parse().map_err(|_| OutputsAccessError::Malformed)?;
    if expires_ms <= now_ms {
        return Err(OutputsAccessError::Expired);
    }
    if expires_ms - now_ms > MAX_OUTPUTS_ACCESS_MS {
        return Err(OutputsAccessError::TooLong);
    }
    if !key.verify_strict(&outputs_access_message(ctx, job_id, expires_ms), &signature) {
        return Err(OutputsAccessError::BadSignature);
    }
    Ok(())
}

/// The wire form of a request signed by `key`, valid until `expires_ms`.
pub fn sign_outputs_access(
    ctx: VoucherContext,
    job_id: u64,
    key: &crate::SigningKey,
    expires_ms: u64,
) -> String {
    let sig = key.sign(&outputs_access_message(ctx, job_id, expires_ms));
    format!("{expires_ms}.{sig}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccountAddress, SigningKey};

    fn ctx() -> VoucherContext {
        VoucherContext {
            chain_id: 4,
            package: AccountAddress::new([0xc5; 32]),
        }
    }

    #[test]
    fn the_voucher_key_may_download_until_it_expires() {
        let k = SigningKey::from_seed([7; 32]);
        let h = sign_outputs_access(ctx(), 9, &k, 1_000_000 + 60_000);
        assert_eq!(
            check_outputs_access(ctx(), 9, &k.public_key(), &h, 1_000_000),
            Ok(())
        );
        assert_eq!(
            check_outputs_access(ctx(), 9, &k.public_key(), &h, 1_060_000),
            Err(OutputsAccessError::Expired)
        );
    }

    #[test]
    fn another_key_job_chain_or_a_long_lifetime_is_refused() {
        let k = SigningKey::from_seed([7; 32]);
        let other = SigningKey::from_seed([8; 32]);
        let h = sign_outputs_access(ctx(), 9, &other, 1_060_000);
        assert_eq!(
            check_outputs_access(ctx(), 9, &k.public_key(), &h, 1_000_000),
            Err(OutputsAccessError::BadSignature)
        );
        let h = sign_outputs_access(ctx(), 9, &k, 1_060_000);
        assert_eq!(
            check_outputs_access(ctx(), 10, &k.public_key(), &h, 1_000_000),
            Err(OutputsAccessError::BadSignature)
        );
        let elsewhere = VoucherContext {
            chain_id: 250,
            ..ctx()
        };
        assert_eq!(
            check_outputs_access(elsewhere, 9, &k.public_key(), &h, 1_000_000),
            Err(OutputsAccessError::BadSignature)
        );
        let long = sign_outputs_access(ctx(), 9, &k, 1_000_000 + MAX_OUTPUTS_ACCESS_MS + 1);
        assert_eq!(
            check_outputs_access(ctx(), 9, &k.public_key(), &long, 1_000_000),
            Err(OutputsAccessError::TooLong)
        );
        for bad in ["", "123", "x.0x00", "123.nothex", "123.0x1234"] {
            assert_eq!(
                check_outputs_access(ctx(), 9, &k.public_key(), bad, 1_000_000),
                Err(OutputsAccessError::Malformed),
                "{bad:?}"
            );
        }
    }
}
