//! Renders the scenario files as Move unit tests (`move/tests/scenario_tests.move`), run by
//! the real Move unit-test runner: every call, the expected abort (module and code), the
//! final balances, and every event of the package, compared exactly and in order per event
//! type with `event::emitted_events` (field order and types from the checked-in ABI,
//! `schemas/move-abi/`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use computestream_nodeapi::MoveModule;
use serde_json::Value;

use super::{Arg, Resolved, Scenario, ScenarioError};
use crate::ChainIdentity;

/// Renders every scenario as a Move unit test module. The output is checked in as
/// `move/tests/scenario_tests.move`.
pub fn render_move_tests(
    scenarios: &[Scenario],
    id: ChainIdentity,
) -> Result<String, ScenarioError> {
    let mut out = String::new();
    out.push_str(MOVE_HEADER.trim_start());
    let _ = writeln!(
        out,
        "        chain_id::initialize_for_test(framework, {});",
        id.chain_id
    );
    out.push_str(MOVE_SETUP_TAIL);
    let events = PackageEvents::from_abi().map_err(|reason| ScenarioError {
        scenario: "?".into(),
        reason,
    })?;
    for s in scenarios {
        render_one(&mut out, &s.resolve(id)?, &events)?;
    }
    out.push_str("}\n");
    Ok(out)
}

const MOVE_HEADER: &str = r#"
// Generated from move/scenarios/*.json by `devnet/tests/scenarios.rs`
// (CS_UPDATE_SCHEMAS=1 cargo test -p computestream-devnet --test scenarios). Do not edit.
// The devnet runs the same files through aptos-sdk and also checks every event.
#[test_only]
module computestream::scenario_tests {
    use std::option;
    use std::signer;
    use std::string;
    use std::vector;
    use aptos_framework::account;
    use aptos_framework::aptos_coin::{Self, AptosCoin};
    use aptos_framework::chain_id;
    use aptos_framework::coin;
    use aptos_framework::event;
    use aptos_framework::timestamp;
    use computestream::escrow;
    use computestream::job_registry;
    use computestream::payment_stream;
    use computestream::provider_registry;

    fun setup(framework: &signer, admin: &signer, accounts: vector<address>, funds: vector<u64>): vector<signer> {
        timestamp::set_time_has_started_for_testing(framework);
"#;

const MOVE_SETUP_TAIL: &str = r#"        let (burn, mint) = aptos_coin::initialize_for_test(framework);
        account::create_account_for_test(signer::address_of(admin));
        provider_registry::init_for_test(admin);
        job_registry::init_for_test(admin);
        escrow::init_for_test(admin);
        payment_stream::init_for_test(admin);
        let signers = vector::empty<signer>();
        let i = 0;
        while (i < vector::length(&accounts)) {
            let addr = *vector::borrow(&accounts, i);
            let s = account::create_account_for_test(addr);
            coin::register<AptosCoin>(&s);
            coin::deposit(addr, coin::mint(*vector::borrow(&funds, i), &mint));
            vector::push_back(&mut signers, s);
            i = i + 1;
        };
        coin::destroy_burn_cap(burn);
        coin::destroy_mint_cap(mint);
        signers
    }
"#;

fn move_bytes(b: &[u8]) -> String {
    if b.is_empty() {
        "vector[]".into()
    } else {
        format!("x\"{}\"", hex::encode(b))
    }
}

fn move_arg(r: &Resolved<'_>, a: &Arg) -> Result<String, ScenarioError> {
    Ok(match a {
        Arg::U64(s) | Arg::U8(s) => s.clone(),
        Arg::Bool(b) => b.to_string(),
        Arg::Address(s) => format!("@{}", r.address_arg(s)?.to_long_string()),
        Arg::String(s)
            if s.bytes()
                .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\') =>
        {
            format!("string::utf8(b\"{s}\")")
        }
        Arg::String(s) => format!("string::utf8({})", move_bytes(s.as_bytes())),
        Arg::Bytes(_) | Arg::PublicKey(_) | Arg::Voucher(_) => move_bytes(&r.raw_bytes(a)?),
        Arg::U64Vec(v) => format!("vector[{}]", v.join(", ")),
        Arg::BytesVec(v) => format!(
            "vector[{}]",
            v.iter()
                .map(|x| r.raw_bytes(x).map(|b| move_bytes(&b)))
                .collect::<Result<Vec<_>, _>>()?
                .join(", ")
        ),
    })
}

fn render_one(
    out: &mut String,
    r: &Resolved<'_>,
    events: &PackageEvents,
) -> Result<(), ScenarioError> {
    let s = r.scenario;
    let _ = writeln!(out);
    for line in s.description.lines() {
        let _ = writeln!(out, "    // {line}");
    }
    let _ = writeln!(
        out,
        "    #[test(framework = @aptos_framework, admin = @computestream)]"
    );
    if let Some(a) = s.aborts() {
        let _ = writeln!(
            out,
            "    #[expected_failure(abort_code = {}, location = computestream::{})]",
            a.code, a.module
        );
    }
    let _ = writeln!(
        out,
        "    fun {}(framework: &signer, admin: &signer) {{",
        s.name
    );
    let names: Vec<&String> = s.accounts.keys().collect();
    let addrs = names
        .iter()
        .map(|n| r.address(n).map(|a| format!("@{}", a.to_long_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let funds: Vec<&str> = s.accounts.values().map(|a| a.fund.as_str()).collect();
    let _ = writeln!(
        out,
        "        let signers = setup(framework, admin, vector[{}], vector[{}]);",
        addrs.join(", "),
        funds.join(", ")
    );
    for n in &names {
        let used = s
            .steps
            .iter()
            .any(|st| st.sender.as_deref() == Some(n.as_str()));
        let binding = if used { n.to_string() } else { "_".to_owned() };
        let _ = writeln!(
            out,
            "        let {binding} = vector::remove(&mut signers, 0);"
        );
    }
    for step in &s.steps {
        if step.expect.abort.is_some() {
            // The events of every step before the abort, checked before it aborts.
            render_event_checks(out, r, events)?;
        }
        if let Some(secs) = &step.advance_secs {
            let _ = writeln!(out, "        timestamp::fast_forward_seconds({secs});");
            continue;
        }
        let call = step.call.as_deref().unwrap_or_default();
        let sender = step
            .sender
            .as_deref()
            .ok_or_else(|| r.err(format!("call {call} has no sender")))?;
        let (addr, module, function) = r.target(call)?;
        let path = if addr == r.id.package {
            format!("{module}::{function}")
        } else {
            format!("{}::{module}::{function}", addr)
        };
        let mut args = vec![format!("&{sender}")];
        for a in &step.args {
            args.push(move_arg(r, a)?);
        }
        let _ = writeln!(out, "        {path}({});", args.join(", "));
    }
    if s.aborts().is_none() {
        render_event_checks(out, r, events)?;
    }
    let balances = if s.aborts().is_some() {
        &BTreeMap::new()
    } else {
        &s.final_balances
    };
    for (name, balance) in balances {
        let _ = writeln!(
            out,
            "        assert!(coin::balance<AptosCoin>(@{}) == {balance}, 0);",
            r.address(name)?.to_long_string()
        );
    }
    let _ = writeln!(out, "    }}");
    Ok(())
}

/// The package's event structs (`drop + store`, as `#[event]` requires), with their fields'
/// names and Move types in declaration order, from the checked-in ABI.
struct PackageEvents {
    /// `(module, struct) -> [(field, type)]`.
    structs: BTreeMap<(String, String), Vec<(String, String)>>,
}

impl PackageEvents {
    fn from_abi() -> Result<Self, String> {
        let mut structs = BTreeMap::new();
        for (name, json) in computestream_schemas::move_abi::PACKAGE_MODULES {
            let m: MoveModule =
                serde_json::from_str(json).map_err(|e| format!("ABI of {name}: {e}"))?;
            for st in &m.structs {
                let mut abilities = st.abilities.clone();
                abilities.sort();
                if abilities == ["drop", "store"] {
                    let fields = st
                        .fields
                        .iter()
                        .map(|f| (f.name.clone(), f.type_.clone()))
                        .collect();
                    structs.insert((m.name.clone(), st.name.clone()), fields);
                }
            }
        }
        Ok(PackageEvents { structs })
    }
}

/// `StreamClosed` -> `stream_closed`: the test-only constructor is `<snake>_for_test`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The Move expression of one event field's expected JSON value, by its ABI type.
fn move_value(r: &Resolved<'_>, ty: &str, v: &Value) -> Result<String, ScenarioError> {
    let bad = || r.err(format!("event field of type {ty}: unexpected {v}"));
    Ok(match ty {
        "u8" | "u16" | "u32" | "u64" | "u128" | "u256" => match v {
            Value::String(s) if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return Err(bad()),
        },
        "bool" => v.as_bool().ok_or_else(bad)?.to_string(),
        "address" => {
            let s = v.as_str().ok_or_else(bad)?;
            format!("@{}", r.address_arg(s)?.to_long_string())
        }
        "0x1::string::String" => {
            let s = v.as_str().ok_or_else(bad)?;
            move_arg(r, &Arg::String(s.to_owned()))?
        }
        "vector<u8>" => {
            let s = v.as_str().ok_or_else(bad)?;
            match s.strip_prefix("@pk:") {
                Some(name) => move_bytes(&r.key(name)?.public_key().0),
                None => move_bytes(&hex::decode(s.trim_start_matches("0x")).map_err(|_| bad())?),
            }
        }
        _ => {
            let inner = ty
                .strip_prefix("0x1::option::Option<")
                .and_then(|t| t.strip_suffix('>'))
                .ok_or_else(|| r.err(format!("event field type {ty} is not rendered")))?;
            let items = v.get("vec").and_then(Value::as_array).ok_or_else(bad)?;
            match items.as_slice() {
                [] => "option::none()".to_owned(),
                [x] => format!("option::some({})", move_value(r, inner, x)?),
                _ => return Err(bad()),
            }
        }
    })
}

/// Asserts, for every event struct of the package, that the events emitted so far equal
/// the scenario's expected events of that type, in order (nothing more, nothing less).
fn render_event_checks(
    out: &mut String,
    r: &Resolved<'_>,
    events: &PackageEvents,
) -> Result<(), ScenarioError> {
    let mut expected: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    // The framework's coin events cannot be built outside `0x1::coin`: their number is
    // compared (their amounts show in the final balances). `setup` deposits once per account.
    let mut withdrawals = 0usize;
    let mut deposits = r.scenario.accounts.len();
    for step in &r.scenario.steps {
        if step.expect.abort.is_some() {
            break;
        }
        for e in step.expect.events.iter().flatten() {
            match e.type_.as_str() {
                "0x1::coin::CoinWithdraw" => withdrawals += 1,
                "0x1::coin::CoinDeposit" => deposits += 1,
                _ => {}
            }
            let Some(rest) = e.type_.strip_prefix("@pkg::") else {
                continue;
            };
            let (module, name) = rest
                .split_once("::")
                .ok_or_else(|| r.err(format!("event type {}", e.type_)))?;
            let key = (module.to_owned(), name.to_owned());
            let fields = events
                .structs
                .get(&key)
                .ok_or_else(|| r.err(format!("{} is not an event of the ABI", e.type_)))?;
            let data = e
                .data
                .as_object()
                .ok_or_else(|| r.err(format!("{}: data is not an object", e.type_)))?;
            if data.len() != fields.len() {
                return Err(r.err(format!("{}: fields differ from the ABI", e.type_)));
            }
            let args = fields
                .iter()
                .map(|(f, ty)| {
                    let v = data
                        .get(f)
                        .ok_or_else(|| r.err(format!("{}: no field {f}", e.type_)))?;
                    move_value(r, ty, v)
                })
                .collect::<Result<Vec<_>, _>>()?;
            expected.entry(key).or_default().push(format!(
                "{module}::{}_for_test({})",
                snake(name),
                args.join(", ")
            ));
        }
    }
    for (i, (module, name)) in events.structs.keys().enumerate() {
        let want = expected
            .get(&(module.clone(), name.clone()))
            .map(|v| v.join(", "))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "        assert!(event::emitted_events<{module}::{name}>() == vector[{want}], {});",
            1000 + i
        );
    }
    let _ = writeln!(
        out,
        "        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == {withdrawals}, 1900);"
    );
    let _ = writeln!(
        out,
        "        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == {deposits}, 1901);"
    );
    Ok(())
}
