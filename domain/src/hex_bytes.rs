//! Fixed-size byte strings that travel as `0x`-prefixed hex (keys, signatures, hashes).

use crate::DomainError;

/// Appends `0x` and the lowercase hex digits of `bytes` to `out` (a table lookup per byte:
/// keys, hashes and addresses are formatted on every hot path, and the projector writes
/// addresses straight into its `COPY` streams).
pub fn push_prefixed_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(2 + bytes.len() * 2);
    out.extend_from_slice(b"0x");
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 0x0f)]);
    }
}

/// `0x` and the lowercase hex digits of `bytes`.
pub(crate) fn prefixed_hex(bytes: &[u8]) -> String {
    let mut out = Vec::new();
    push_prefixed_hex(&mut out, bytes);
    // Only ASCII digits were written.
    String::from_utf8(out).unwrap_or_default()
}

pub(crate) fn decode_fixed<const N: usize>(
    s: &str,
    what: &'static str,
) -> Result<[u8; N], DomainError> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    let mut out = [0u8; N];
    hex::decode_to_slice(digits, &mut out).map_err(|e| DomainError::InvalidKeyMaterial {
        what,
        reason: format!("expected {} hex digits: {e}", N * 2),
    })?;
    Ok(out)
}

macro_rules! hex_bytes_type_impl {
    ($ty:ident, $n:literal, $what:literal) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&$crate::hex_bytes::prefixed_hex(&self.0))
            }
        }
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({self})", stringify!($ty))
            }
        }
        impl std::str::FromStr for $ty {
            type Err = $crate::DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $crate::hex_bytes::decode_fixed::<$n>(s, $what).map($ty)
            }
        }
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
        impl schemars::JsonSchema for $ty {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($ty).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "pattern": concat!("^0x[0-9a-f]{", stringify!($n), "}$"),
                    "description": concat!($what, ", 0x-prefixed hex")
                })
            }
        }
    };
}

pub(crate) use hex_bytes_type_impl as hex_bytes_type;

#[cfg(test)]
mod tests {
    #[test]
    fn prefixed_hex_is_hex_encode_with_0x() {
        let bytes: Vec<u8> = (0..=255u8).collect();
        assert_eq!(
            super::prefixed_hex(&bytes),
            format!("0x{}", hex::encode(&bytes))
        );
        assert_eq!(super::prefixed_hex(&[]), "0x");
    }
}
