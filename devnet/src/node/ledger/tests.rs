use super::*;
use proptest::prelude::*;
use serde_json::json;

fn txn(version: u64, note: &str) -> Transaction {
    Transaction::Other {
        type_: "genesis_transaction".into(),
        version: Some(version.to_string()),
        raw: json!({"version": version.to_string(), "type": "genesis_transaction", "note": note,
                    "events": [{"data": {"stream_id": "7", "paid_now": "1000"}}]}),
    }
}

#[test]
fn what_is_pushed_reads_back_by_version_and_in_pages() {
    let mut l = Ledger::new();
    for v in 0..50u64 {
        l.push(&txn(v, &"x".repeat(v as usize)));
    }
    assert_eq!(l.len(), 50);
    for v in [0u64, 1, 17, 49] {
        assert_eq!(
            l.value(v).expect("read"),
            Some(txn(v, &"x".repeat(v as usize)).to_value())
        );
        assert_eq!(
            l.transaction(v).expect("read"),
            Some(txn(v, &"x".repeat(v as usize)))
        );
    }
    assert_eq!(l.value(50).expect("read"), None, "above the latest version");
    assert_eq!(l.value(u64::MAX).expect("read"), None);
    let page = l.values(45, 100).expect("page");
    assert_eq!(page.len(), 5, "a page stops at the latest version");
    assert_eq!(page[0]["version"], "45");
    assert_eq!(l.values(60, 10).expect("page"), Vec::<Value>::new());
}

#[test]
fn memory_does_not_grow_with_the_size_of_the_history() {
    // 2,000 transactions of ~70 KB each (a settlement batch's events): 140 MB of JSON, of
    // which the ledger keeps a few bytes per version in memory.
    let mut l = Ledger::new();
    let big = "e".repeat(70_000);
    for v in 0..2_000u64 {
        l.push(&txn(v, &big));
    }
    assert!(
        l.memory_bytes() < 2_000 * 64,
        "{} bytes in memory",
        l.memory_bytes()
    );
    assert_eq!(
        l.value(1_234).expect("read").expect("there")["note"]
            .as_str()
            .map(str::len),
        Some(70_000)
    );
}

#[test]
fn a_file_that_refuses_a_write_keeps_the_transaction_in_memory() {
    // A file opened read-only refuses every write, as a full disk would.
    let path = std::env::temp_dir().join(format!("computestream-ledger-ro-{}", std::process::id()));
    std::fs::write(&path, b"").expect("create");
    let ro = File::open(&path).expect("open read-only");
    std::fs::remove_file(&path).expect("unlink");
    let mut l = Ledger::on(ro);
    l.push(&txn(0, "kept"));
    l.push(&txn(1, "kept too"));
    assert_eq!(l.transaction(0).expect("read"), Some(txn(0, "kept")));
    assert_eq!(l.transaction(1).expect("read"), Some(txn(1, "kept too")));
    assert!(
        l.memory_bytes() >= "kept".len(),
        "the refused JSON is in memory"
    );
}

proptest! {
    #[test]
    fn any_transaction_reads_back_as_written(notes in proptest::collection::vec(".{0,200}", 1..20)) {
        let mut l = Ledger::new();
        for (v, n) in notes.iter().enumerate() {
            l.push(&txn(v as u64, n));
        }
        for (v, n) in notes.iter().enumerate() {
            prop_assert_eq!(l.transaction(v as u64).expect("read"), Some(txn(v as u64, n)));
        }
    }
}
