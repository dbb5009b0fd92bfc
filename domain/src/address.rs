use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::DomainError;

/// A 32-byte Aptos/Movement account address.
///
/// Parsed from `0x`-prefixed (or bare) hex of 1 to 64 digits, left-padded with zeros.
/// Displayed per AIP-40: special addresses `0x0`..`0xf` in short form, all others as the
/// full 64 hex digits — the form the node's REST API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct AccountAddress(pub [u8; 32]);

impl AccountAddress {
    pub const ZERO: AccountAddress = AccountAddress([0; 32]);

    /// `0x1`, the framework address.
    pub const ONE: AccountAddress = {
        let mut b = [0u8; 32];
        b[31] = 1;
        AccountAddress(b)
    };

    pub const fn new(bytes: [u8; 32]) -> Self {
        AccountAddress(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// True for `0x0`..`0xf`, which AIP-40 prints in short form.
    pub fn is_special(&self) -> bool {
        self.0[..31].iter().all(|b| *b == 0) && self.0[31] < 16
    }

    /// The full 64-hex-digit form with `0x`, whatever the address.
    pub fn to_long_string(&self) -> String {
        crate::hex_bytes::prefixed_hex(&self.0)
    }

    /// The form the node's REST API prints everywhere (addresses in JSON, type tags, abort
    /// locations): `0x` and the hex digits with leading zeros dropped (`0x1`, and
    /// `0xc5c…` with 63 digits for `0x0c5c…`), as aptos-core's `to_hex_literal`.
    pub fn to_hex_literal(&self) -> String {
        let long = hex::encode(self.0);
        let digits = long.trim_start_matches('0');
        if digits.is_empty() {
            "0x0".to_owned()
        } else {
            format!("0x{digits}")
        }
    }
}

impl fmt::Display for AccountAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_special() {
            write!(f, "0x{:x}", self.0[31])
        } else {
            f.write_str(&crate::hex_bytes::prefixed_hex(&self.0))
        }
    }
}

impl FromStr for AccountAddress {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.strip_prefix("0x").unwrap_or(s);
        if digits.is_empty() || digits.len() > 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(DomainError::InvalidAddress(s.to_owned()));
        }
        let mut out = [0u8; 32];
        let decoded = if digits.len() == 64 {
            hex::decode_to_slice(digits, &mut out)
        } else {
            hex::decode_to_slice(format!("{digits:0>64}"), &mut out)
        };
        decoded.map_err(|_| DomainError::InvalidAddress(s.to_owned()))?;
        Ok(AccountAddress(out))
    }
}

impl Serialize for AccountAddress {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AccountAddress {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for AccountAddress {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "AccountAddress".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^0x[0-9a-f]{1,64}$",
            "description": "Account address, 0x-prefixed hex (AIP-40 form)."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_forms_round_trip() {
        let one: AccountAddress = "0x1".parse().expect("0x1");
        assert_eq!(one, AccountAddress::ONE);
        assert_eq!(one.to_string(), "0x1");
        let long = "0x00000000000000000000000000000000000000000000000000000000000000aa";
        let a: AccountAddress = long.parse().expect("long");
        assert_eq!(a.to_string(), long);
        assert_eq!("aa".parse::<AccountAddress>().expect("bare"), a);
    }

    #[test]
    fn the_node_form_drops_leading_zeros() {
        assert_eq!(AccountAddress::ZERO.to_hex_literal(), "0x0");
        assert_eq!(AccountAddress::ONE.to_hex_literal(), "0x1");
        let a: AccountAddress = "0x0c5c".parse().expect("short");
        assert_eq!(a.to_hex_literal(), "0xc5c");
        let mut b = [0xab; 32];
        b[0] = 0x0a;
        let a = AccountAddress::new(b);
        assert_eq!(a.to_hex_literal().len(), 2 + 63);
        assert_eq!(
            a.to_hex_literal()
                .parse::<AccountAddress>()
                .expect("parses"),
            a
        );
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "0x", "0xzz", &"1".repeat(65)] {
            assert!(bad.parse::<AccountAddress>().is_err(), "{bad:?}");
        }
    }
}
