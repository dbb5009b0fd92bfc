//! The input rules the ComputeStream Move package asserts at its entry functions, in the
//! order it asserts them, as one pure function per entry function. The devnet executes them
//! (so it aborts exactly where Move does) and the gateway checks them before it builds a
//! transaction (so a user learns of a bad input before signing). The source of each rule is
//! the named constant or abort code of `move/sources/*.move` given on each item.

use crate::PublicKey;

/// `provider_registry::MAX_GPU_TYPE_LEN`: bytes of a GPU type name.
pub const MAX_GPU_TYPE_LEN: usize = 64;
/// `provider_registry::MAX_VRAM_GB`: the most VRAM a listing may claim (1 PiB, in GB).
pub const MAX_VRAM_GB: u64 = 1_048_576;
/// `provider_registry::MIN_STAKE`: 1 MOVE, in octas.
pub const MIN_STAKE: u64 = 100_000_000;
/// `job_registry::MAX_IMAGE_LEN`: bytes of a container image reference.
pub const MAX_IMAGE_LEN: usize = 256;
/// `job_registry::MAX_DURATION_SECS`: the longest job, 365 days.
pub const MAX_DURATION_SECS: u64 = 31_536_000;

/// A rule of the package an input breaks: the module and the abort code's name, as the node
/// prints them in `vm_status` (`Move abort in {package}::{module}: {name}(…)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackageRule {
    pub module: &'static str,
    pub name: &'static str,
}

impl std::fmt::Display for PackageRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}::{}", self.module, self.name)
    }
}

const fn rule(module: &'static str, name: &'static str) -> PackageRule {
    PackageRule { module, name }
}

/// The argument checks of `provider_registry::register_provider` (before its registry and
/// balance checks): `E_BAD_GPU_TYPE`, `E_ZERO_VRAM`, `E_VRAM_TOO_LARGE`, `E_ZERO_PRICE`,
/// `E_STAKE_TOO_LOW`.
pub fn check_register_provider(
    gpu_type: &str,
    vram_gb: u64,
    price_per_second: u64,
    stake: u64,
) -> Result<(), PackageRule> {
    const M: &str = "provider_registry";
    if gpu_type.is_empty() || gpu_type.len() > MAX_GPU_TYPE_LEN {
        return Err(rule(M, "E_BAD_GPU_TYPE"));
    }
    if vram_gb == 0 {
        return Err(rule(M, "E_ZERO_VRAM"));
    }
    if vram_gb > MAX_VRAM_GB {
        return Err(rule(M, "E_VRAM_TOO_LARGE"));
    }
    if price_per_second == 0 {
        return Err(rule(M, "E_ZERO_PRICE"));
    }
    if stake < MIN_STAKE {
        return Err(rule(M, "E_STAKE_TOO_LOW"));
    }
    Ok(())
}

/// The argument checks of `job_registry::create_job` that come before the provider's price
/// is known: `E_BAD_IMAGE`, `E_ZERO_DURATION`, `E_DURATION_TOO_LONG`.
pub fn check_job_terms(docker_image: &str, max_duration_secs: u64) -> Result<(), PackageRule> {
    const M: &str = "job_registry";
    if docker_image.is_empty() || docker_image.len() > MAX_IMAGE_LEN {
        return Err(rule(M, "E_BAD_IMAGE"));
    }
    if max_duration_secs == 0 {
        return Err(rule(M, "E_ZERO_DURATION"));
    }
    if max_duration_secs > MAX_DURATION_SECS {
        return Err(rule(M, "E_DURATION_TOO_LONG"));
    }
    Ok(())
}

/// The checks of `job_registry::create_job` once the price is known: the job's maximum
/// cost fits in a u64 (`E_COST_OVERFLOW`, written `price <= MAX_U64 / max_duration_secs`
/// as in Move) and the escrow covers one second (`E_ESCROW_TOO_LOW`). `max_duration_secs`
/// has passed [`check_job_terms`] (it is not zero).
pub fn check_job_funding(
    price_per_second: u64,
    max_duration_secs: u64,
    escrow_amount: u64,
) -> Result<(), PackageRule> {
    const M: &str = "job_registry";
    if max_duration_secs == 0 || price_per_second > u64::MAX / max_duration_secs {
        return Err(rule(M, "E_COST_OVERFLOW"));
    }
    if escrow_amount < price_per_second {
        return Err(rule(M, "E_ESCROW_TOO_LOW"));
    }
    Ok(())
}

/// The voucher key check of `payment_stream::open_stream`: 32 bytes that are a valid
/// ed25519 key (`E_BAD_BUYER_KEY`).
pub fn check_voucher_key(key: &[u8]) -> Result<PublicKey, PackageRule> {
    let bad = rule("payment_stream", "E_BAD_BUYER_KEY");
    let bytes: [u8; 32] = key.try_into().map_err(|_| bad)?;
    let pk = PublicKey(bytes);
    if pk.is_valid() {
        Ok(pk)
    } else {
        Err(bad)
    }
}

/// The top-up check of `escrow::deposit`: `E_ZERO_AMOUNT`, and `E_DEPOSIT_OVERFLOW` when
/// the escrow's total would pass u64::MAX.
pub fn check_deposit(already_deposited: u64, amount: u64) -> Result<(), PackageRule> {
    if amount == 0 {
        return Err(rule("escrow", "E_ZERO_AMOUNT"));
    }
    if amount > u64::MAX - already_deposited {
        return Err(rule("escrow", "E_DEPOSIT_OVERFLOW"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn durations_are_bounded_at_a_year() {
        assert_eq!(check_job_terms("img", MAX_DURATION_SECS), Ok(()));
        assert_eq!(
            check_job_terms("img", MAX_DURATION_SECS + 1).map_err(|r| r.name),
            Err("E_DURATION_TOO_LONG")
        );
        assert_eq!(
            check_job_terms("img", u64::MAX).map_err(|r| r.name),
            Err("E_DURATION_TOO_LONG")
        );
        assert_eq!(
            check_job_terms("img", 0).map_err(|r| r.name),
            Err("E_ZERO_DURATION")
        );
    }

    #[test]
    fn the_largest_cost_that_fits_is_accepted() {
        let price = u64::MAX / MAX_DURATION_SECS;
        assert_eq!(check_job_funding(price, MAX_DURATION_SECS, price), Ok(()));
        assert_eq!(
            check_job_funding(price + 1, MAX_DURATION_SECS, u64::MAX).map_err(|r| r.name),
            Err("E_COST_OVERFLOW")
        );
        assert_eq!(
            check_job_funding(1 << 63, 2, u64::MAX).map_err(|r| r.name),
            Err("E_COST_OVERFLOW")
        );
    }

    #[test]
    fn small_order_and_short_voucher_keys_are_refused() {
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(check_voucher_key(&identity).is_err());
        assert!(check_voucher_key(&[0xe5; 31]).is_err());
        let key = crate::SigningKey::from_seed([7; 32]).public_key();
        assert_eq!(check_voucher_key(&key.0), Ok(key));
    }

    proptest! {
        #[test]
        fn an_accepted_job_cost_never_overflows(price in 1u64.., dur in 1u64..=MAX_DURATION_SECS) {
            if check_job_funding(price, dur, u64::MAX).is_ok() {
                prop_assert!(price.checked_mul(dur).is_some());
            } else {
                prop_assert!(price.checked_mul(dur).is_none());
            }
        }

        #[test]
        fn an_accepted_deposit_never_overflows(total in any::<u64>(), amount in 1u64..) {
            prop_assert_eq!(check_deposit(total, amount).is_ok(), total.checked_add(amount).is_some());
        }
    }
}
