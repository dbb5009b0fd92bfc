use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::DomainError;

/// An amount of the native coin in octas (1 MOVE = 10^8 octas).
///
/// Money is an integer everywhere. In JSON (and GraphQL) it travels as a decimal string so
/// that no client can read it into a float; [`Octas::from_str`] accepts only canonical
/// decimal digits that fit in `u64`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Octas(pub u64);

impl Octas {
    pub const ZERO: Octas = Octas(0);

    pub const fn get(self) -> u64 {
        self.0
    }

    pub fn checked_add(self, other: Octas) -> Result<Octas, DomainError> {
        self.0
            .checked_add(other.0)
            .map(Octas)
            .ok_or(DomainError::AmountOverflow("add"))
    }

    pub fn checked_sub(self, other: Octas) -> Result<Octas, DomainError> {
        self.0
            .checked_sub(other.0)
            .map(Octas)
            .ok_or(DomainError::AmountOverflow("sub"))
    }

    pub fn checked_mul(self, factor: u64) -> Result<Octas, DomainError> {
        self.0
            .checked_mul(factor)
            .map(Octas)
            .ok_or(DomainError::AmountOverflow("mul"))
    }

    /// `self + other`, or `u64::MAX` octas. Only for totals that are reported (metrics),
    /// never for amounts that are paid.
    pub fn saturating_add(self, other: Octas) -> Octas {
        Octas(self.0.saturating_add(other.0))
    }

    /// `self - other`, or zero when `other` is larger.
    pub fn saturating_sub(self, other: Octas) -> Octas {
        Octas(self.0.saturating_sub(other.0))
    }

    /// `self * factor`, or `u64::MAX` octas when that overflows. Used only where the result
    /// is immediately capped by an escrow (which is itself a `u64`).
    pub fn saturating_mul(self, factor: u64) -> Octas {
        Octas(self.0.saturating_mul(factor))
    }
}

impl fmt::Display for Octas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for Octas {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let canonical = !s.is_empty()
            && s.len() <= 20
            && s.bytes().all(|b| b.is_ascii_digit())
            && (s == "0" || !s.starts_with('0'));
        if !canonical {
            return Err(DomainError::InvalidAmount(s.to_owned()));
        }
        s.parse::<u64>()
            .map(Octas)
            .map_err(|_| DomainError::InvalidAmount(s.to_owned()))
    }
}

impl From<u64> for Octas {
    fn from(v: u64) -> Self {
        Octas(v)
    }
}

impl Serialize for Octas {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Octas {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Octas {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Octas".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^(0|[1-9][0-9]{0,19})$",
            "description": "Amount in octas (1 MOVE = 10^8 octas) as a decimal string; fits in u64."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_canonical_decimal() {
        assert_eq!("0".parse::<Octas>(), Ok(Octas(0)));
        assert_eq!("18446744073709551615".parse::<Octas>(), Ok(Octas(u64::MAX)));
        for bad in [
            "",
            "01",
            "-1",
            "+1",
            "1.0",
            "1e3",
            " 1",
            "18446744073709551616",
            "0x10",
        ] {
            assert!(bad.parse::<Octas>().is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn json_is_a_string() {
        let json = serde_json::to_string(&Octas(12_345)).expect("serialize");
        assert_eq!(json, "\"12345\"");
        assert_eq!(
            serde_json::from_str::<Octas>("\"12345\"").ok(),
            Some(Octas(12_345))
        );
        assert!(
            serde_json::from_str::<Octas>("12345").is_err(),
            "numbers are not money"
        );
    }

    #[test]
    fn checked_arithmetic_reports_overflow() {
        assert!(Octas(u64::MAX).checked_add(Octas(1)).is_err());
        assert!(Octas(0).checked_sub(Octas(1)).is_err());
        assert_eq!(Octas(3).saturating_sub(Octas(5)), Octas(0));
    }
}
