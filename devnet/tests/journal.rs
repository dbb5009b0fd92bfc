//! With a journal, a devnet restart replays the ledger exactly: same versions, hashes,
//! events and balances; a torn last line (crash mid-write) is ignored.

mod support;

use aptos_sdk::aptos_bcs::to_bytes;
use support::{account, committed, defaults, fund, http, sign, start};

async fn ledger(addr: std::net::SocketAddr, upto: u64) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let mut start = 0;
    while start <= upto {
        let (status, _, body) = http(
            addr,
            "GET",
            &format!("/v1/transactions?start={start}&limit=100"),
            "",
            b"",
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let page: Vec<serde_json::Value> = serde_json::from_str(&body).expect("page");
        start += page.len() as u64;
        out.extend(page);
    }
    out.truncate(upto as usize + 1);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_replays_the_journal_exactly() {
    let dir = std::env::temp_dir().join(format!("cs-devnet-journal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let path = dir.join("ledger.jsonl");
    let _ = std::fs::remove_file(&path);
    let config = computestream_devnet::DevnetConfig {
        journal: Some(path.clone()),
        ..support::fast_config()
    };

    let (running, shutdown, client) = start(config.clone()).await;
    let (alice, alice_addr) = account(0x41);
    fund(&running, &client, alice_addr, 5_000_000_000).await;
    for i in 0..3u64 {
        let t = sign(
            &alice,
            "0x1::aptos_account::transfer",
            vec![
                to_bytes(&[9u8; 32]).expect("bcs"),
                to_bytes(&(1000 + i)).expect("bcs"),
            ],
            &defaults(&client, &alice).await,
        );
        let p = client.submit_transaction(&t).await.expect("submit");
        assert!(committed(&client, &p.data.hash.to_string()).await.success);
    }
    let upto = client
        .get_ledger_info()
        .await
        .expect("ledger")
        .data
        .version()
        .expect("version");
    let before = ledger(running.addr, upto).await;
    let balance = client
        .get_account_balance(alice.address())
        .await
        .expect("balance");
    shutdown.trigger();
    running.task.await.expect("join").expect("clean stop");

    // A crash mid-write leaves a torn last line.
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("journal")
        .write_all(b"{\"t\":12")
        .expect("tear");

    let (running, shutdown, client) = start(config).await;
    let after = ledger(running.addr, upto).await;
    assert_eq!(after, before, "the replayed ledger differs");
    assert_eq!(
        client
            .get_account_balance(alice.address())
            .await
            .expect("balance"),
        balance
    );
    // And it keeps going from there.
    let t = sign(
        &alice,
        "0x1::aptos_account::transfer",
        vec![
            to_bytes(&[9u8; 32]).expect("bcs"),
            to_bytes(&1u64).expect("bcs"),
        ],
        &defaults(&client, &alice).await,
    );
    let p = client
        .submit_transaction(&t)
        .await
        .expect("submit after restart");
    assert!(committed(&client, &p.data.hash.to_string()).await.success);
    shutdown.trigger();
    running.task.await.expect("join").expect("clean stop");
    let _ = std::fs::remove_dir_all(&dir);
}
