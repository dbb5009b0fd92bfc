//! The ComputeStream package's ABI as the node serves it (the `abi` of
//! `GET /v1/accounts/{package}/module/{name}`), one JSON file per module under
//! `schemas/move-abi/computestream/`. The files are produced from the package compiled by the
//! real Move compiler (Movement's aptos-core, `aptos_api_types::MoveModule::from`), at the
//! placeholder address [`ABI_ADDRESS`] (the package's dev address); a node or the devnet
//! serving them puts its own package address in its place ([`package_module_json`]). The
//! devnet's entry functions and views are tested against them, and the Move unit tests
//! rendered from the scenario files take the events' field order from them.

/// The address the checked-in ABI files were compiled at (`[dev-addresses]` of `move/Move.toml`).
pub const ABI_ADDRESS: &str = "0xc5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5";

/// `(module name, ABI JSON)` of every module of the package, in name order.
pub const PACKAGE_MODULES: [(&str, &str); 4] = [
    (
        "escrow",
        include_str!("../move-abi/computestream/escrow.json"),
    ),
    (
        "job_registry",
        include_str!("../move-abi/computestream/job_registry.json"),
    ),
    (
        "payment_stream",
        include_str!("../move-abi/computestream/payment_stream.json"),
    ),
    (
        "provider_registry",
        include_str!("../move-abi/computestream/provider_registry.json"),
    ),
];

/// `(module name, ABI JSON)` of the Aptos framework modules the devnet serves at `0x1`, in name
/// order: the ABI of Movement's framework as its real compiler produced it (the `abi` of the
/// node's `GET /v1/accounts/0x1/module/{name}`), each cut down to the functions the devnet
/// executes or views, so no client is told of a function the devnet would refuse. Structs and
/// friends are kept whole.
///
/// | module | functions kept |
/// |---|---|
/// | `account` | view `exists_at` |
/// | `aptos_account` | entry `create_account`, `transfer`, `transfer_coins<T>` |
/// | `coin` | view `balance<T>`, entry `transfer<T>` |
/// | `primary_fungible_store` | view `balance<T: key>` |
pub const FRAMEWORK_MODULES: [(&str, &str); 4] = [
    (
        "account",
        include_str!("../move-abi/framework/account.json"),
    ),
    (
        "aptos_account",
        include_str!("../move-abi/framework/aptos_account.json"),
    ),
    ("coin", include_str!("../move-abi/framework/coin.json")),
    (
        "primary_fungible_store",
        include_str!("../move-abi/framework/primary_fungible_store.json"),
    ),
];

/// A framework module's ABI JSON (at `0x1`), or `None` for a module the devnet does not serve.
pub fn framework_module_json(module: &str) -> Option<&'static str> {
    FRAMEWORK_MODULES
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, json)| *json)
}

/// A module's ABI JSON with the package at `package_hex` (the node's form of the address:
/// `0x` and lowercase hex, leading zeros dropped), or `None` for a module the package does
/// not have.
pub fn package_module_json(module: &str, package_hex: &str) -> Option<String> {
    PACKAGE_MODULES
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, json)| json.replace(ABI_ADDRESS, package_hex))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_names_itself_and_the_placeholder_address() {
        for (name, json) in PACKAGE_MODULES {
            let v: serde_json::Value = serde_json::from_str(json).expect("JSON");
            assert_eq!(v["name"], name);
            assert_eq!(v["address"], ABI_ADDRESS);
        }
    }

    #[test]
    fn every_framework_module_names_itself_at_0x1() {
        for (name, json) in FRAMEWORK_MODULES {
            let v: serde_json::Value = serde_json::from_str(json).expect("JSON");
            assert_eq!(v["name"], name);
            assert_eq!(v["address"], "0x1");
        }
        assert!(framework_module_json("coin").is_some());
        assert!(framework_module_json("stake").is_none());
    }

    #[test]
    fn the_package_address_replaces_the_placeholder_everywhere() {
        let json = package_module_json("payment_stream", "0xabc").expect("module");
        assert!(!json.contains(ABI_ADDRESS));
        assert!(json.contains("\"0xabc::job_registry\""), "friends too");
        assert!(package_module_json("nope", "0xabc").is_none());
    }
}
