//! The shared scenario files (`move/scenarios/*.scenario.json`), run against a real devnet
//! through `aptos-sdk`: every entry function of the package, its events (exactly, in order)
//! and aborts, and the final balances. The same files render the Move unit tests
//! (`move/tests/scenario_tests.move`); the first test fails when that file drifts.

mod support;

use std::path::PathBuf;

use computestream_devnet::driver::{self, StepOutcome};
use computestream_devnet::scenario::{render_move_tests, Resolved, Scenario};
use support::id;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn load_scenarios() -> Vec<Scenario> {
    let dir = root().join("move/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("move/scenarios")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".scenario.json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scenario files");
    files
        .iter()
        .map(|p| {
            Scenario::parse(&std::fs::read(p).expect("read"))
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect()
}

#[test]
fn move_tests_are_generated_from_the_scenarios() {
    let rendered = render_move_tests(&load_scenarios(), id()).expect("render");
    let path = root().join("move/tests/scenario_tests.move");
    if std::env::var_os("CS_UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &rendered).expect("write");
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == rendered,
        "move/tests/scenario_tests.move drifted from move/scenarios; rerun with CS_UPDATE_SCHEMAS=1"
    );
}

async fn run_scenario(s: &Scenario) {
    let r: Resolved<'_> = s.resolve(id()).expect("resolve");
    let (running, shutdown, client) = support::start(support::fast_config()).await;
    let outcomes = driver::drive(s, &running)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let mut fees: std::collections::BTreeMap<String, u64> = Default::default();
    for (i, (step, outcome)) in s.steps.iter().zip(&outcomes).enumerate() {
        let ctx = format!("{} step {i}", s.name);
        let StepOutcome::Committed(t) = outcome else {
            continue;
        };
        let sender = step.sender.as_deref().expect("sender");
        let gas: u64 = t.gas_used.parse().expect("gas");
        *fees.entry(sender.to_owned()).or_default() += gas * 100;
        match &step.expect.abort {
            Some(a) => {
                assert!(!t.success, "{ctx}: expected an abort, got success");
                let code: u64 = a.code.parse().expect("code");
                let expected = format!(
                    "Move abort in {}::{}: {}({code:#x})",
                    id().package.to_hex_literal(),
                    a.module,
                    a.name
                );
                assert!(
                    t.vm_status.starts_with(&expected),
                    "{ctx}: vm_status {:?}, expected {expected:?}",
                    t.vm_status
                );
                let only_fee = t
                    .events
                    .iter()
                    .all(|e| e.type_ == "0x1::transaction_fee::FeeStatement");
                assert!(only_fee, "{ctx}: an aborted transaction emitted events");
            }
            None => assert!(t.success, "{ctx}: failed: {}", t.vm_status),
        }
        if let Some(expected) = &step.expect.events {
            let actual: Vec<serde_json::Value> = t
                .events
                .iter()
                .filter(|e| e.type_ != "0x1::transaction_fee::FeeStatement")
                .map(|e| {
                    assert_eq!(
                        e.guid.account_address, "0x0",
                        "{ctx}: module events carry the zero GUID"
                    );
                    serde_json::json!({"type": e.type_, "data": e.data})
                })
                .collect();
            let want: Vec<serde_json::Value> = expected
                .iter()
                .map(|e| {
                    r.substitute(&serde_json::json!({"type": e.type_, "data": e.data}))
                        .expect("substitute")
                })
                .collect();
            assert_eq!(actual, want, "{ctx}: events");
        }
    }

    for (name, expected) in &s.final_balances {
        let a = r.address(name).expect("address");
        let sdk_addr = aptos_sdk::types::AccountAddress::from_bytes(a.0).expect("addr");
        let balance = client.get_account_balance(sdk_addr).await.expect("balance");
        let paid = fees.get(name).copied().unwrap_or(0);
        assert_eq!(
            (balance + paid).to_string(),
            *expected,
            "{}: final balance of {name} (+{paid} fees)",
            s.name
        );
    }
    // Escrow conservation on chain, for every job the scenario created.
    {
        let node = running.devnet.node().expect("node");
        for (job, e) in &node.state.escrows {
            assert!(
                e.is_conserved(),
                "{}: escrow of job {job} not conserved: {e:?}",
                s.name
            );
        }
    }
    shutdown.trigger();
    running
        .task
        .await
        .expect("join")
        .expect("devnet stopped cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_on_the_devnet_through_aptos_sdk() {
    for s in load_scenarios() {
        run_scenario(&s).await;
    }
}
