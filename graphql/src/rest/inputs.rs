//! The forms `/api/v1` accepts, exactly as its OpenAPI document states them (the patterns
//! and ranges in the `#[utoipa::path]` and `ToSchema` attributes are these; a test compares
//! the served document with them): anything the document allows is read, anything else is
//! a `400 BAD_USER_INPUT` naming the field.

use computestream_domain::{AccountAddress, Octas, PublicKey};
use serde::Deserialize;

use crate::GatewayError;

/// A job (and payment stream) id: a canonical decimal below 10^18 (fits `i64`).
pub const JOB_ID: &str = "^(0|[1-9][0-9]{0,17})$";
/// Octas: a canonical decimal of at most 19 digits (below `u64::MAX`).
pub const OCTAS: &str = "^(0|[1-9][0-9]{0,18})$";
/// A u64 as a decimal (amounts, ids, seconds in answers; no input has this form, the test
/// of the document uses it).
#[allow(dead_code)]
pub const U64: &str = "^(0|[1-9][0-9]{0,19})$";
/// Octas that must be more than 0 (a price, an escrow, a deposit): no leading zero, at
/// most 19 digits.
pub const POSITIVE_OCTAS: &str = "^[1-9][0-9]{0,18}$";
/// A provider's stake: at least `package_rules::MIN_STAKE` (10^8 octas, 1 MOVE), so 9 to 19
/// digits with no leading zero.
pub const STAKE: &str = "^[1-9][0-9]{8,18}$";
/// An account address: up to 64 hex digits, `0x` optional (short forms are left-padded).
pub const ADDRESS: &str = "^(0x)?[0-9a-fA-F]{1,64}$";
/// A GPU type filter: 1 to 64 letters, digits, spaces, `.`, `_`, `-`.
pub const GPU_TYPE: &str = "^[A-Za-z0-9 ._-]{1,64}$";
/// The document's format of an ed25519 public key: 32 bytes as 64 hex digits (`0x`
/// optional, [`ED25519_KEY`]) that are a valid curve point of full order. A format and no
/// `pattern` in the document, so that schemathesis draws its values from the format (the
/// test's hooks) in every phase.
pub const ED25519_KEY_FORMAT: &str = "ed25519-public-key";
/// The hex form of an ed25519 public key (stated in the format's description).
pub const ED25519_KEY: &str = "^(0x)?[0-9a-fA-F]{64}$";
/// The hex form of a signed transaction's BCS bytes, `0x` optional (stated in the
/// description of the format [`SIGNED_TRANSACTION_FORMAT`]).
pub const BCS_HEX: &str = "^(0x)?([0-9a-fA-F]{2})+$";
/// The most hex digits of [`BCS_HEX`] (the request body stays under the default 64 KiB).
pub const MAX_BCS_HEX_LEN: usize = 65_000;
/// The document's format of the BCS of an Aptos `SignedTransaction`, as hex ([`BCS_HEX`],
/// at most [`MAX_BCS_HEX_LEN`] characters); the gateway decodes it and checks its sender.
pub const SIGNED_TRANSACTION_FORMAT: &str = "aptos-signed-transaction";
/// Page sizes.
pub const MAX_LIMIT: i64 = 500;

fn bad(what: &str, rule: &str) -> GatewayError {
    GatewayError::BadInput(format!("{what} must match {rule}"))
}

fn canonical_decimal(s: &str, max_digits: usize) -> bool {
    !s.is_empty()
        && s.len() <= max_digits
        && s.bytes().all(|b| b.is_ascii_digit())
        && (s == "0" || !s.starts_with('0'))
}

pub fn job_id(s: &str, what: &str) -> Result<i64, GatewayError> {
    if !canonical_decimal(s, 18) {
        return Err(bad(what, JOB_ID));
    }
    s.parse().map_err(|_| bad(what, JOB_ID))
}

pub fn octas(s: &str, what: &str) -> Result<Octas, GatewayError> {
    if !canonical_decimal(s, 19) {
        return Err(bad(what, OCTAS));
    }
    s.parse().map_err(|_| bad(what, OCTAS))
}

/// Octas more than 0 ([`POSITIVE_OCTAS`]).
pub fn positive_octas(s: &str, what: &str) -> Result<Octas, GatewayError> {
    if s.starts_with('0') {
        return Err(bad(what, POSITIVE_OCTAS));
    }
    octas(s, what).map_err(|_| bad(what, POSITIVE_OCTAS))
}

/// A stake of at least 1 MOVE ([`STAKE`]).
pub fn stake(s: &str, what: &str) -> Result<Octas, GatewayError> {
    match octas(s, what) {
        Ok(o) if o.get() >= computestream_domain::package_rules::MIN_STAKE => Ok(o),
        _ => Err(bad(what, STAKE)),
    }
}

/// A valid ed25519 public key ([`ED25519_KEY`], format [`ED25519_KEY_FORMAT`]).
pub fn ed25519_key(s: &str, what: &str) -> Result<PublicKey, GatewayError> {
    let pk: PublicKey = s.parse().map_err(|_| bad(what, ED25519_KEY))?;
    if pk.is_valid() {
        Ok(pk)
    } else {
        Err(GatewayError::BadInput(format!(
            "{what} is not a valid ed25519 public key (format {ED25519_KEY_FORMAT})"
        )))
    }
}

/// Hex of [`BCS_HEX`]'s form, at most [`MAX_BCS_HEX_LEN`] digits (what it decodes to is
/// `submit`'s to check).
pub fn bcs_hex<'a>(s: &'a str, what: &str) -> Result<&'a str, GatewayError> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    let ok = !digits.is_empty()
        && s.len() <= MAX_BCS_HEX_LEN
        && digits.len().is_multiple_of(2)
        && digits.bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(s)
    } else {
        Err(GatewayError::BadInput(format!(
            "{what} must match {BCS_HEX}, at most {MAX_BCS_HEX_LEN} characters \
             (format {SIGNED_TRANSACTION_FORMAT})"
        )))
    }
}

pub fn address(s: &str, what: &str) -> Result<AccountAddress, GatewayError> {
    s.parse().map_err(|_| bad(what, ADDRESS))
}

pub fn gpu_type<'a>(s: &'a str, what: &str) -> Result<&'a str, GatewayError> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b' ' | b'.' | b'_' | b'-'));
    if ok {
        Ok(s)
    } else {
        Err(bad(what, GPU_TYPE))
    }
}

/// A page size within `1..=500` (default 50).
pub fn limit(v: Option<i64>) -> Result<i64, GatewayError> {
    match v.unwrap_or(50) {
        n @ 1..=MAX_LIMIT => Ok(n),
        n => Err(GatewayError::BadInput(format!(
            "limit must be within 1..={MAX_LIMIT}, got {n}"
        ))),
    }
}

/// A JSON integer field as JSON Schema counts integers: `1701` and `1701.0` alike (a
/// number with no fractional part), within `u64`.
pub fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    if let Some(v) = n.as_u64() {
        return Ok(v);
    }
    match n.as_f64() {
        // Below 2^64 and whole: exact in u64 (f64 integers above 2^53 are whole too).
        Some(f) if f.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&f) => {
            Ok(f as u64)
        }
        _ => Err(serde::de::Error::custom(format!(
            "{n} is not a whole number within 0..=18446744073709551615"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_are_exactly_the_documented_ones() {
        for ok in ["0", "7", "999999999999999999"] {
            assert!(job_id(ok, "id").is_ok(), "{ok}");
        }
        for bad in ["", "+7", "07", "-1", "1000000000000000000", "1e3", " 1"] {
            assert!(job_id(bad, "id").is_err(), "{bad}");
        }
        assert!(octas("9999999999999999999", "a").is_ok());
        assert!(
            octas("10000000000000000000", "a").is_err(),
            "20 digits are outside the form"
        );
        assert!(positive_octas("1", "a").is_ok() && positive_octas("0", "a").is_err());
        assert!(stake("100000000", "s").is_ok() && stake("99999999", "s").is_err());
        assert!(stake("0100000000", "s").is_err());
        let mut small_order = [0u8; 32];
        small_order[0] = 1;
        assert!(ed25519_key(&hex::encode(small_order), "k").is_err());
        assert!(ed25519_key(&"ab".repeat(31), "k").is_err());
        assert!(address("0x1", "a").is_ok() && address("ab", "a").is_ok());
        assert!(
            address("", "a").is_err()
                && address("0x", "a").is_err()
                && address("0xg", "a").is_err()
        );
        assert!(gpu_type("H100 SXM", "g").is_ok());
        assert!(gpu_type("a\u{0}b", "g").is_err() && gpu_type("", "g").is_err());
        assert!(
            limit(Some(0)).is_err() && limit(Some(501)).is_err() && matches!(limit(None), Ok(50))
        );
    }
}
