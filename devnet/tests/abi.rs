//! The devnet agrees with the ABIs it serves, as the real compiler produced them: the
//! package's (`schemas/move-abi/computestream/`) and the framework modules' cut to what the
//! devnet runs (`schemas/move-abi/framework/`). Every entry function of an ABI is executed by
//! the devnet with the same parameter types in the same order and as many type parameters, and
//! nothing else is; every view of an ABI answers with as many values as the ABI returns, of its
//! types.

use computestream_devnet::abi::{Param, ENTRY_FUNCTIONS};
use computestream_devnet::vm::{self, ChainState, ExecFailure, ViewError};
use computestream_domain::{AccountAddress, Octas, SigningKey, Voucher};
use computestream_nodeapi::MoveModule;
use computestream_schemas::move_abi::{FRAMEWORK_MODULES, PACKAGE_MODULES};
use serde_json::{json, Value};

fn parse(list: &[(&str, &str)]) -> Vec<MoveModule> {
    list.iter()
        .map(|(name, json)| serde_json::from_str(json).unwrap_or_else(|e| panic!("{name}: {e}")))
        .collect()
}

fn modules() -> Vec<MoveModule> {
    parse(&PACKAGE_MODULES)
}

fn framework_modules() -> Vec<MoveModule> {
    parse(&FRAMEWORK_MODULES)
}

#[test]
fn the_devnet_executes_exactly_the_entry_functions_of_the_abi() {
    let mut from_abi = Vec::new();
    for m in modules() {
        for f in m.exposed_functions.iter().filter(|f| f.is_entry) {
            assert!(
                f.generic_type_params.is_empty(),
                "{}::{} is generic",
                m.name,
                f.name
            );
            let (signer, rest) = f.params.split_first().expect("an entry function's signer");
            assert_eq!(signer, "&signer", "{}::{}", m.name, f.name);
            from_abi.push((m.name.clone(), f.name.clone(), rest.to_vec()));
        }
    }
    let mut from_devnet: Vec<(String, String, Vec<String>)> = ENTRY_FUNCTIONS
        .iter()
        .filter(|e| !e.framework)
        .map(|e| {
            (
                e.module.to_owned(),
                e.function.to_owned(),
                e.params.iter().map(|p| p.move_type().to_owned()).collect(),
            )
        })
        .collect();
    from_abi.sort();
    from_devnet.sort();
    assert_eq!(from_devnet, from_abi);
}

/// A BCS argument of `p` that decodes (its value is not meant to succeed).
fn sample_arg(p: Param) -> Vec<u8> {
    use aptos_sdk::aptos_bcs::to_bytes;
    match p {
        Param::U8 => to_bytes(&1u8),
        Param::U64 => to_bytes(&1u64),
        Param::Bool => to_bytes(&true),
        Param::Address => to_bytes(&[7u8; 32]),
        Param::String => to_bytes("x"),
        Param::Bytes => to_bytes(&vec![0u8; 32]),
        Param::U64Vec => to_bytes(&vec![1u64]),
        Param::BytesVec => to_bytes(&vec![vec![0u8; 64]]),
    }
    .expect("bcs")
}

#[test]
fn every_entry_function_of_the_abi_dispatches_with_its_parameters() {
    let pkg = AccountAddress::new([0xc5; 32]);
    for e in ENTRY_FUNCTIONS.iter().filter(|e| !e.framework) {
        let mut state = ChainState::new(4, pkg);
        let args: Vec<Vec<u8>> = e.params.iter().map(|p| sample_arg(*p)).collect();
        let sender = AccountAddress::new([9; 32]);
        let r = vm::execute(&mut state, sender, pkg, e.module, e.function, &[], &args);
        // An abort of the package is fine (the state is empty); a VM status is not.
        if let Err(ExecFailure::Status(s)) = r {
            panic!("{}::{}: {s}", e.module, e.function);
        }
        let short = &args[..args.len().saturating_sub(1)];
        if !e.params.is_empty() {
            let r = vm::execute(&mut state, sender, pkg, e.module, e.function, &[], short);
            assert!(
                matches!(r, Err(ExecFailure::Status("NUMBER_OF_ARGUMENTS_MISMATCH"))),
                "{}::{} with one argument missing: {r:?}",
                e.module,
                e.function
            );
        }
    }
}

/// A state with one provider, one job with its escrow and stream.
fn populated() -> (ChainState, AccountAddress) {
    let pkg = AccountAddress::new([0xc5; 32]);
    let mut state = ChainState::new(4, pkg);
    let provider = AccountAddress::new([1; 32]);
    let buyer = AccountAddress::new([2; 32]);
    state.mint(provider, 1_000_000_000);
    state.mint(buyer, 1_000_000_000);
    let bcs = |v: &dyn erased::Bcs| v.bcs();
    let reg = vm::execute(
        &mut state,
        provider,
        pkg,
        "provider_registry",
        "register_provider",
        &[],
        &[
            bcs(&"H100".to_owned()),
            bcs(&80u64),
            bcs(&1_000u64),
            bcs(&100_000_000u64),
        ],
    );
    assert!(reg.is_ok(), "{reg:?}");
    let key = SigningKey::from_seed([3; 32]);
    let job = vm::execute(
        &mut state,
        buyer,
        pkg,
        "job_registry",
        "create_job",
        &[],
        &[
            bcs(&[1u8; 32]),
            bcs(&"img".to_owned()),
            bcs(&60u64),
            bcs(&60_000u64),
            bcs(&key.public_key().0.to_vec()),
        ],
    );
    assert!(job.is_ok(), "{job:?}");
    let v = Voucher {
        chain_id: 4,
        package: pkg,
        stream_id: 1,
        cumulative_amount: Octas(1_000),
    }
    .sign(&key);
    let settled = vm::execute(
        &mut state,
        buyer,
        pkg,
        "payment_stream",
        "settle_batch",
        &[],
        &[
            bcs(&vec![1u64]),
            bcs(&vec![1_000u64]),
            bcs(&vec![v.signature.0.to_vec()]),
        ],
    );
    assert!(settled.is_ok(), "{settled:?}");
    (state, provider)
}

mod erased {
    pub trait Bcs {
        fn bcs(&self) -> Vec<u8>;
    }
    impl<T: serde::Serialize> Bcs for T {
        fn bcs(&self) -> Vec<u8> {
            aptos_sdk::aptos_bcs::to_bytes(self).expect("bcs")
        }
    }
}

/// Whether `v` is the node's JSON for a value of Move type `ty`.
fn is_of_type(ty: &str, v: &Value) -> bool {
    match ty {
        "u8" | "u16" | "u32" => v.is_u64(),
        "u64" | "u128" | "u256" => v.as_str().is_some_and(|s| s.parse::<u128>().is_ok()),
        "bool" => v.is_boolean(),
        "address" => v.as_str().is_some_and(|s| s.starts_with("0x")),
        "0x1::string::String" => v.is_string(),
        "vector<u8>" => v.as_str().is_some_and(|s| s.starts_with("0x")),
        _ => match ty.strip_prefix("vector<").and_then(|t| t.strip_suffix('>')) {
            Some(inner) => v
                .as_array()
                .is_some_and(|xs| xs.iter().all(|x| is_of_type(inner, x))),
            None => false,
        },
    }
}

#[test]
fn every_view_of_the_abi_answers_with_its_return_types() {
    let (state, provider) = populated();
    let pkg_hex = format!("{}", state.package);
    let mut seen = 0;
    for m in modules() {
        for f in m.exposed_functions.iter().filter(|f| f.is_view) {
            let args: Vec<Value> = f
                .params
                .iter()
                .map(|p| match p.as_str() {
                    "address" => json!(provider.to_hex_literal()),
                    "u64" => json!(if f.name == "get_providers" { "0" } else { "1" }),
                    other => panic!("{}::{}: parameter type {other}", m.name, f.name),
                })
                .collect();
            let function = format!("{pkg_hex}::{}::{}", m.name, f.name);
            let out = vm::view(&state, &function, &[], &args)
                .unwrap_or_else(|e| panic!("{function}: {e:?}"));
            assert_eq!(out.len(), f.return_.len(), "{function}: {out:?}");
            for (ty, v) in f.return_.iter().zip(&out) {
                assert!(is_of_type(ty, v), "{function}: {v} is not a {ty}");
            }
            let fewer = &args[..args.len().saturating_sub(1)];
            if !args.is_empty() {
                assert!(
                    matches!(
                        vm::view(&state, &function, &[], fewer),
                        Err(ViewError::BadArguments(_))
                    ),
                    "{function} with one argument missing"
                );
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 6, "the package has six views");
}

#[test]
fn get_providers_takes_any_offset_and_limit() {
    // `offset + limit` past u64::MAX: the Move view never adds them (it aborted before).
    let (state, provider) = populated();
    let f = format!("{}::provider_registry::get_providers", state.package);
    let all = vm::view(&state, &f, &[], &[json!("0"), json!(u64::MAX.to_string())]);
    assert_eq!(all, Ok(vec![json!([provider.to_hex_literal()])]));
    let none = vm::view(
        &state,
        &f,
        &[],
        &[json!(u64::MAX.to_string()), json!(u64::MAX.to_string())],
    );
    assert_eq!(none, Ok(vec![json!([])]));
}

/// `(module, function, parameters after any signer, type parameters)`, sorted.
type Signature = (String, String, Vec<String>, usize);

#[test]
fn the_devnet_executes_exactly_the_framework_entry_functions_it_serves() {
    let mut from_abi: Vec<Signature> = Vec::new();
    for m in framework_modules() {
        assert_eq!(m.address, "0x1");
        for f in m.exposed_functions.iter().filter(|f| f.is_entry) {
            let params = match f.params.split_first() {
                Some((first, rest)) if first == "&signer" => rest.to_vec(),
                _ => f.params.clone(),
            };
            from_abi.push((
                m.name.clone(),
                f.name.clone(),
                params,
                f.generic_type_params.len(),
            ));
        }
    }
    let mut from_devnet: Vec<Signature> = ENTRY_FUNCTIONS
        .iter()
        .filter(|e| e.framework)
        .map(|e| {
            (
                e.module.to_owned(),
                e.function.to_owned(),
                e.params.iter().map(|p| p.move_type().to_owned()).collect(),
                e.type_params,
            )
        })
        .collect();
    from_abi.sort();
    from_devnet.sort();
    assert_eq!(from_devnet, from_abi);
}

fn type_tag(s: &str) -> aptos_sdk::types::TypeTag {
    aptos_sdk::types::TypeTag::from_str_strict(s).expect("type tag")
}

#[test]
fn every_framework_entry_function_dispatches_with_its_type_parameters() {
    let pkg = AccountAddress::new([0xc5; 32]);
    let sender = AccountAddress::new([9; 32]);
    let coin = type_tag("0x1::aptos_coin::AptosCoin");
    for e in ENTRY_FUNCTIONS.iter().filter(|e| e.framework) {
        let mut state = ChainState::new(4, pkg);
        state.mint(sender, 1_000_000);
        let args: Vec<Vec<u8>> = e.params.iter().map(|p| sample_arg(*p)).collect();
        let types = vec![coin.clone(); e.type_params];
        let name = format!("0x1::{}::{}", e.module, e.function);
        let r = vm::execute(
            &mut state,
            sender,
            AccountAddress::ONE,
            e.module,
            e.function,
            &types,
            &args,
        );
        // An abort of the framework is fine (`coin::transfer` to an address without a coin
        // store); a VM status is not.
        assert!(!matches!(r, Err(ExecFailure::Status(_))), "{name}: {r:?}");
        let wrong = vec![coin.clone(); e.type_params + 1];
        let r = vm::execute(
            &mut state,
            sender,
            AccountAddress::ONE,
            e.module,
            e.function,
            &wrong,
            &args,
        );
        assert!(
            matches!(
                r,
                Err(ExecFailure::Status("NUMBER_OF_TYPE_ARGUMENTS_MISMATCH"))
            ),
            "{name} with one type argument too many: {r:?}"
        );
    }
}

#[test]
fn a_coin_type_is_compared_parsed_and_another_coin_aborts_as_the_framework_does() {
    let pkg = AccountAddress::new([0xc5; 32]);
    let sender = AccountAddress::new([9; 32]);
    let to = AccountAddress::new([8; 32]);
    let mut state = ChainState::new(4, pkg);
    state.mint(sender, 1_000);
    let args = [sample_arg(Param::Address), sample_arg(Param::U64)];
    let long = type_tag(
        "0x0000000000000000000000000000000000000000000000000000000000000001::aptos_coin::AptosCoin",
    );
    let args_to = [
        aptos_sdk::aptos_bcs::to_bytes(&to.0).expect("bcs"),
        args[1].clone(),
    ];
    let r = vm::execute(
        &mut state,
        sender,
        AccountAddress::ONE,
        "aptos_account",
        "transfer_coins",
        &[long],
        &args_to,
    );
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(state.balance(&to), 1);
    let other = type_tag("0x1::fake::Coin");
    let r = vm::execute(
        &mut state,
        sender,
        AccountAddress::ONE,
        "coin",
        "transfer",
        &[other],
        &args_to,
    );
    match r {
        Err(ExecFailure::Abort(a)) => assert_eq!(
            (a.module, a.name),
            ("coin", "EINSUFFICIENT_BALANCE"),
            "{}",
            a.vm_status()
        ),
        other => panic!("another coin: {other:?}"),
    }
}

#[test]
fn every_framework_view_it_serves_answers_with_its_return_types() {
    let (state, provider) = populated();
    let mut seen = 0;
    for m in framework_modules() {
        for f in m.exposed_functions.iter().filter(|f| f.is_view) {
            let types: Vec<String> = f
                .generic_type_params
                .iter()
                .map(|g| {
                    if g.constraints.iter().any(|c| c == "key") {
                        "0x1::object::ObjectCore".to_owned()
                    } else {
                        "0x1::aptos_coin::AptosCoin".to_owned()
                    }
                })
                .collect();
            let args: Vec<Value> = f
                .params
                .iter()
                .map(|p| match p.as_str() {
                    "address" => json!(provider.to_hex_literal()),
                    o if o.starts_with("0x1::object::Object<") => json!("0xa"),
                    other => panic!("{}::{}: parameter type {other}", m.name, f.name),
                })
                .collect();
            let function = format!("0x1::{}::{}", m.name, f.name);
            let out = vm::view(&state, &function, &types, &args)
                .unwrap_or_else(|e| panic!("{function}: {e:?}"));
            assert_eq!(out.len(), f.return_.len(), "{function}: {out:?}");
            for (ty, v) in f.return_.iter().zip(&out) {
                assert!(is_of_type(ty, v), "{function}: {v} is not a {ty}");
            }
            seen += 1;
        }
    }
    assert_eq!(
        seen, 3,
        "coin::balance, account::exists_at, primary_fungible_store::balance"
    );
}
