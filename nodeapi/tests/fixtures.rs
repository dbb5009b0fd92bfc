//! Every real node response in `shared/fixtures/aptos-rest/` parses into these types, and
//! writing a parsed transaction back gives the same JSON.

use std::path::PathBuf;

use computestream_nodeapi::{ApiError, LedgerInfo, Transaction};

fn fixture(name: &str) -> Vec<u8> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/aptos-rest");
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

#[test]
fn ledger_info() {
    let info: LedgerInfo =
        serde_json::from_slice(&fixture("index_test__test_get_index.json")).expect("ledger info");
    assert_eq!(info.chain_id, 4);
    assert_eq!(info.node_role, "validator");
}

#[test]
fn transaction_page_round_trips() {
    let raw = fixture("transactions_test__test_get_transactions_output_user_transaction_with_entry_function_payload.json");
    let page = Transaction::page_from_slice(&raw).expect("page");
    let kinds: Vec<_> = page
        .iter()
        .map(|t| match t {
            Transaction::BlockMetadata(_) => "block",
            Transaction::User(_) => "user",
            Transaction::StateCheckpoint(_) => "checkpoint",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["block", "user", "checkpoint"]);
    let versions: Vec<_> = page
        .iter()
        .map(|t| t.version().expect("committed"))
        .collect();
    assert_eq!(versions, ["1", "2", "3"]);
    let Transaction::User(user) = &page[1] else {
        panic!("user")
    };
    assert_eq!(user.events.len(), 2);
    assert_eq!(user.events[0].guid.account_address, "0x0");
    let original: Vec<serde_json::Value> = serde_json::from_slice(&raw).expect("json");
    let back: Vec<serde_json::Value> = page.iter().map(Transaction::to_value).collect();
    assert_eq!(back, original);
}

#[test]
fn failed_transaction() {
    let raw =
        fixture("transactions_test__test_get_txn_execute_failed_by_entry_function_validation.json");
    let t: Transaction = serde_json::from_slice(&raw).expect("transaction");
    let Transaction::User(user) = t else {
        panic!("user transaction")
    };
    assert!(!user.success);
    assert_eq!(user.vm_status, "LINKER_ERROR");
}

#[test]
fn error_body() {
    let e: ApiError = serde_json::from_slice(&fixture(
        "transactions_test__test_get_transaction_by_version_not_found.json",
    ))
    .expect("error");
    assert_eq!(e.error_code, "transaction_not_found");
    assert_eq!(e.vm_error_code, None);
}

#[test]
fn versioned_events_parse() {
    let raw = fixture("events_test__test_get_events_by_account_event_handle.json");
    let v: Vec<serde_json::Value> = serde_json::from_slice(&raw).expect("json");
    for e in v {
        let ev: computestream_nodeapi::Event = serde_json::from_value(e).expect("event");
        assert_eq!(ev.type_, "0x1::reconfiguration::NewEpochEvent");
    }
}

#[test]
fn malformed_pages_are_errors_not_panics() {
    assert!(Transaction::page_from_slice(b"[{\"type\":\"user_transaction\"").is_err());
    assert!(Transaction::page_from_slice(b"[{\"version\":\"1\"}]").is_err());
    assert!(
        Transaction::page_from_slice(b"[{\"type\":\"user_transaction\",\"version\":1}]").is_err()
    );
    assert!(Transaction::page_from_slice(b"{}").is_err());
}
