//! Identifiers the node prints, parsed rather than compared as strings: a struct type tag
//! (`0xc5c5…::payment_stream::StreamSettled`, `0x1::coin::CoinStore<0x1::aptos_coin::AptosCoin>`)
//! and the `vm_status` of a Move abort (`Move abort in 0xc5c5…::job_registry:
//! E_ESCROW_TOO_LOW(0x4): …`). The node prints addresses with their leading zeros dropped
//! (`AccountAddress::to_hex_literal`), so an address is only ever compared as 32 bytes.

use std::fmt;

use crate::AccountAddress;

/// `address::module::Name<type args>` of a Move struct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructTag {
    pub address: AccountAddress,
    pub module: String,
    pub name: String,
    /// The generic arguments as printed (`0x1::aptos_coin::AptosCoin`), empty if none.
    pub type_args: Vec<String>,
}

/// Why a type tag did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a Move struct type {tag:?}: {reason}")]
pub struct TypeTagError {
    pub tag: String,
    pub reason: &'static str,
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Splits `a, b<c, d>, e` at the top-level commas.
fn split_args(s: &str) -> Option<Vec<String>> {
    let (mut depth, mut start, mut out) = (0i32, 0, Vec::new());
    for (i, c) in s.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => {
                out.push(s[start..i].trim().to_owned());
                start = i + 1;
            }
            _ => {}
        }
        if depth < 0 {
            return None;
        }
    }
    (depth == 0).then(|| {
        out.push(s[start..].trim().to_owned());
        out
    })
}

impl StructTag {
    /// Parses the node's form. Accepts any address form the domain parses (short, long,
    /// upper-case hex, with or without leading zeros).
    pub fn parse(tag: &str) -> Result<StructTag, TypeTagError> {
        let err = |reason| TypeTagError {
            tag: tag.to_owned(),
            reason,
        };
        let tag_trim = tag.trim();
        let (path, type_args) = match tag_trim.find('<') {
            Some(i) => {
                let inner = tag_trim[i + 1..]
                    .strip_suffix('>')
                    .ok_or_else(|| err("unbalanced `<`"))?;
                let args = split_args(inner).ok_or_else(|| err("unbalanced `<`"))?;
                if args.iter().any(String::is_empty) {
                    return Err(err("an empty type argument"));
                }
                (&tag_trim[..i], args)
            }
            None => (tag_trim, Vec::new()),
        };
        let mut parts = path.split("::");
        let (Some(addr), Some(module), Some(name), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(err("expected address::module::Name"));
        };
        if !addr.starts_with("0x") && !addr.starts_with("0X") {
            return Err(err("the address has no 0x"));
        }
        let address = addr[2..]
            .parse::<AccountAddress>()
            .map_err(|_| err("the address is not 1 to 64 hex digits"))?;
        if !is_identifier(module) || !is_identifier(name) {
            return Err(err("module and name must be Move identifiers"));
        }
        Ok(StructTag {
            address,
            module: module.to_owned(),
            name: name.to_owned(),
            type_args,
        })
    }

    /// Whether this is `address::module::name` (any type arguments).
    pub fn is(&self, address: &AccountAddress, module: &str, name: &str) -> bool {
        self.address == *address && self.module == module && self.name == name
    }
}

impl fmt::Display for StructTag {
    /// The node's form: the address with its leading zeros dropped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}::{}::{}",
            self.address.to_hex_literal(),
            self.module,
            self.name
        )?;
        if !self.type_args.is_empty() {
            write!(f, "<{}>", self.type_args.join(", "))?;
        }
        Ok(())
    }
}

/// A Move abort as the node reports it in `vm_status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveAbort {
    pub address: AccountAddress,
    pub module: String,
    /// The abort code's name, when the module's error map names it (`E_STREAM_CLOSED`).
    pub name: Option<String>,
    pub code: u64,
}

impl MoveAbort {
    /// Parses `Move abort in ADDRESS::MODULE: NAME(0xCODE): description` or
    /// `Move abort in ADDRESS::MODULE: 0xCODE`; `None` for any other status.
    pub fn parse(vm_status: &str) -> Option<MoveAbort> {
        let rest = vm_status.strip_prefix("Move abort in ")?;
        let (location, rest) = rest.split_once(": ")?;
        let (addr, module) = location.split_once("::")?;
        let address = addr.strip_prefix("0x")?.parse().ok()?;
        if !is_identifier(module) {
            return None;
        }
        let code_of = |hex: &str| u64::from_str_radix(hex.strip_prefix("0x")?, 16).ok();
        let (name, code) = match rest.split_once('(') {
            Some((name, tail)) if is_identifier(name) => {
                let (code, _) = tail.split_once(')')?;
                (Some(name.to_owned()), code_of(code)?)
            }
            _ => (None, code_of(rest.split_whitespace().next()?)?),
        };
        Some(MoveAbort {
            address,
            module: module.to_owned(),
            name,
            code,
        })
    }

    /// Whether this is the abort `name` of `address::module`.
    pub fn is(&self, address: &AccountAddress, module: &str, name: &str) -> bool {
        self.address == *address && self.module == module && self.name.as_deref() == Some(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LONG: &str = "0x0c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c";

    #[test]
    fn an_address_with_a_leading_zero_matches_in_every_form() {
        let pkg: AccountAddress = LONG.parse().expect("addr");
        let short = format!("{}::payment_stream::StreamSettled", pkg.to_hex_literal());
        assert_eq!(
            short.len(),
            2 + 63 + "::payment_stream::StreamSettled".len()
        );
        for form in [
            short.clone(),
            format!("{LONG}::payment_stream::StreamSettled"),
            format!(
                "{}::payment_stream::StreamSettled",
                LONG.to_uppercase().replace("0X", "0x")
            ),
        ] {
            let t = StructTag::parse(&form).expect(&form);
            assert!(t.is(&pkg, "payment_stream", "StreamSettled"), "{form}");
            assert_eq!(t.to_string(), short, "printed as the node does");
        }
    }

    #[test]
    fn generic_types_keep_their_arguments() {
        let t = StructTag::parse("0x1::coin::CoinStore<0x1::aptos_coin::AptosCoin>").expect("tag");
        assert!(t.is(&AccountAddress::ONE, "coin", "CoinStore"));
        assert_eq!(t.type_args, vec!["0x1::aptos_coin::AptosCoin"]);
        let t = StructTag::parse("0x1::table::Table<u64, 0x1::option::Option<u8>>").expect("tag");
        assert_eq!(t.type_args, vec!["u64", "0x1::option::Option<u8>"]);
    }

    #[test]
    fn malformed_tags_say_why() {
        for bad in [
            "",
            "coin::CoinStore",
            "0x1::coin",
            "0x1::coin::CoinStore::X",
            "1::coin::CoinStore",
            "0xzz::coin::CoinStore",
            "0x1::co-in::CoinStore",
            "0x1::coin::CoinStore<",
            "0x1::coin::CoinStore<>",
            "0x1::coin::CoinStore<a>>",
            &format!("0x{}::m::N", "1".repeat(65)),
        ] {
            assert!(StructTag::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn aborts_are_parsed_with_their_module_and_name() {
        let pkg: AccountAddress = LONG.parse().expect("addr");
        let s = format!(
            "Move abort in {}::payment_stream: E_STREAM_CLOSED(0x5): The stream is closed.",
            pkg.to_hex_literal()
        );
        let a = MoveAbort::parse(&s).expect("abort");
        assert!(a.is(&pkg, "payment_stream", "E_STREAM_CLOSED"));
        assert_eq!(a.code, 5);
        let other = "Move abort in 0x1::payment_stream: E_STREAM_CLOSED(0x5): x";
        assert!(!MoveAbort::parse(other).expect("abort").is(
            &pkg,
            "payment_stream",
            "E_STREAM_CLOSED"
        ));
        let unnamed = MoveAbort::parse("Move abort in 0x1::coin: 0x10006").expect("abort");
        assert_eq!((unnamed.name, unnamed.code), (None, 0x10006));
        assert_eq!(MoveAbort::parse("LINKER_ERROR"), None);
        assert_eq!(MoveAbort::parse("Executed successfully"), None);
    }

    proptest! {
        #[test]
        fn any_address_round_trips_through_the_node_form(bytes in any::<[u8; 32]>(), m in "[a-z_][a-z0-9_]{0,12}", n in "[A-Z][A-Za-z0-9_]{0,12}") {
            let a = AccountAddress::new(bytes);
            let printed = format!("{}::{m}::{n}", a.to_hex_literal());
            let t = StructTag::parse(&printed).expect("parses");
            prop_assert!(t.is(&a, &m, &n));
            prop_assert_eq!(t.to_string(), printed);
        }

        #[test]
        fn arbitrary_strings_never_panic(s in ".{0,80}") {
            let _ = StructTag::parse(&s);
            let _ = MoveAbort::parse(&s);
        }
    }
}
