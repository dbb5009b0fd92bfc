//! The devnet's REST surface against bad and edge-case input: every refusal has the node's
//! status code and error body, nothing panics, and nothing bad reaches the ledger.

mod support;

use aptos_sdk::aptos_bcs::to_bytes;
use computestream_nodeapi::{headers, ApiError, LedgerInfo, Transaction};
use support::{account, committed, defaults, fund, http, sign, start};

const BCS: &str = headers::BCS_SIGNED_TRANSACTION;

fn api_error(body: &str) -> ApiError {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not an error body ({e}): {body}"))
}

async fn submit_raw(addr: std::net::SocketAddr, bytes: &[u8]) -> (u16, ApiError) {
    let (status, _, body) = http(addr, "POST", "/v1/transactions", BCS, bytes).await;
    (status, api_error(&body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_info_and_headers() {
    let (running, shutdown, _client) = start(support::fast_config()).await;
    let (status, head, body) = http(running.addr, "GET", "/v1", "application/json", b"").await;
    assert_eq!(status, 200);
    let info: LedgerInfo = serde_json::from_str(&body).expect("ledger info");
    assert_eq!(info.chain_id, 4);
    let head = head.to_ascii_lowercase();
    for h in [
        headers::CHAIN_ID,
        headers::LEDGER_VERSION,
        headers::LEDGER_TIMESTAMP,
        headers::BLOCK_HEIGHT,
        headers::EPOCH,
    ] {
        assert!(head.contains(h), "missing header {h} in {head}");
    }
    // Genesis is version 0 and parses with the shared types.
    let (status, _, body) = http(
        running.addr,
        "GET",
        "/v1/transactions?start=0&limit=1",
        "application/json",
        b"",
    )
    .await;
    assert_eq!(status, 200);
    let page = Transaction::page_from_slice(body.as_bytes()).expect("page");
    assert_eq!(page[0].version(), Some("0"));
    shutdown.trigger();
    running.task.await.expect("join").expect("clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_have_the_node_shape() {
    let (running, shutdown, client) = start(support::fast_config()).await;
    let (alice, alice_addr) = account(0x31);
    fund(&running, &client, alice_addr, 10_000_000_000).await;
    let base = defaults(&client, &alice).await;
    let call = "0x1::aptos_account::transfer";
    let args = || {
        vec![
            to_bytes(&[7u8; 32]).expect("bcs"),
            to_bytes(&5u64).expect("bcs"),
        ]
    };

    // Not BCS at all.
    let (status, e) = submit_raw(running.addr, b"definitely not bcs").await;
    assert_eq!((status, e.error_code.as_str()), (400, "invalid_input"));
    // Truncated BCS.
    let good = sign(&alice, call, args(), &base).to_bcs().expect("bcs");
    let (status, e) = submit_raw(running.addr, &good[..good.len() - 10]).await;
    assert_eq!((status, e.error_code.as_str()), (400, "invalid_input"));
    // Wrong content type.
    let (status, _, body) = http(
        running.addr,
        "POST",
        "/v1/transactions",
        "application/json",
        b"{}",
    )
    .await;
    assert_eq!(status, 415, "{body}");

    let vm_code = |e: &ApiError| (e.error_code.clone(), e.vm_error_code);
    // A flipped bit in the signature.
    let mut forged = good.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let (status, e) = submit_raw(running.addr, &forged).await;
    assert_eq!((status, vm_code(&e)), (400, ("vm_error".into(), Some(1))));
    // Wrong chain.
    let t = sign(
        &alice,
        call,
        args(),
        &support::Txn {
            chain_id: 126,
            ..base.clone()
        },
    );
    let (_, e) = submit_raw(running.addr, &t.to_bcs().expect("bcs")).await;
    assert_eq!(e.vm_error_code, Some(23), "{}", e.message);
    // Expired.
    let t = sign(
        &alice,
        call,
        args(),
        &support::Txn {
            expiration_secs: 1,
            ..base.clone()
        },
    );
    let (_, e) = submit_raw(running.addr, &t.to_bcs().expect("bcs")).await;
    assert_eq!(e.vm_error_code, Some(6));
    // Gas price below the minimum, max gas above the bound.
    let t = sign(
        &alice,
        call,
        args(),
        &support::Txn {
            gas_price: 1,
            ..base.clone()
        },
    );
    assert_eq!(
        submit_raw(running.addr, &t.to_bcs().expect("bcs"))
            .await
            .1
            .vm_error_code,
        Some(15)
    );
    let t = sign(
        &alice,
        call,
        args(),
        &support::Txn {
            max_gas: 2_000_001,
            ..base.clone()
        },
    );
    assert_eq!(
        submit_raw(running.addr, &t.to_bcs().expect("bcs"))
            .await
            .1
            .vm_error_code,
        Some(13)
    );
    // Unknown sender.
    let (ghost, _) = account(0x32);
    let t = sign(&ghost, call, args(), &base);
    assert_eq!(
        submit_raw(running.addr, &t.to_bcs().expect("bcs"))
            .await
            .1
            .vm_error_code,
        Some(7)
    );
    // Too large.
    let big: Vec<Vec<u8>> = vec![vec![0u8; 64]; 1_200];
    let t = sign(&alice, "0xc5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5::payment_stream::settle_batch",
        vec![to_bytes(&vec![1u64; 1_200]).expect("bcs"), to_bytes(&vec![1u64; 1_200]).expect("bcs"), to_bytes(&big).expect("bcs")], &base);
    assert_eq!(
        submit_raw(running.addr, &t.to_bcs().expect("bcs"))
            .await
            .1
            .vm_error_code,
        Some(10)
    );

    // The good one commits; resubmitting it is idempotent while pending, then too old.
    let (status, _, body) = http(running.addr, "POST", "/v1/transactions", BCS, &good).await;
    assert_eq!(status, 202, "{body}");
    let hash = serde_json::from_str::<serde_json::Value>(&body).expect("json")["hash"]
        .as_str()
        .expect("hash")
        .to_owned();
    let t = committed(&client, &hash).await;
    assert!(t.success, "{}", t.vm_status);
    let (_, e) = submit_raw(running.addr, &good).await;
    assert_eq!(e.vm_error_code, Some(3));

    // A function that does not exist commits as failed, with only the fee statement.
    let next = defaults(&client, &alice).await;
    let t = sign(&alice, "0x1::coin::burn_all", args(), &next);
    let pending = client.submit_transaction(&t).await.expect("admitted");
    let done = committed(&client, &pending.data.hash.to_string()).await;
    assert!(!done.success);
    assert_eq!(done.vm_status, "LINKER_ERROR");
    assert_eq!(done.events.len(), 1);
    // Out of gas.
    let next = defaults(&client, &alice).await;
    let t = sign(&alice, call, args(), &support::Txn { max_gas: 3, ..next });
    let pending = client.submit_transaction(&t).await.expect("admitted");
    let done = committed(&client, &pending.data.hash.to_string()).await;
    assert_eq!(
        (
            done.success,
            done.vm_status.as_str(),
            done.gas_used.as_str()
        ),
        (false, "OUT_OF_GAS", "3")
    );

    // Reads of what does not exist.
    let latest = client
        .get_ledger_info()
        .await
        .expect("ledger")
        .data
        .version()
        .expect("version");
    let (status, _, body) = http(
        running.addr,
        "GET",
        &format!("/v1/transactions/by_version/{}", latest + 1000),
        "",
        b"",
    )
    .await;
    assert_eq!(
        (status, api_error(&body).error_code.as_str()),
        (404, "transaction_not_found")
    );
    let (status, _, _) = http(
        running.addr,
        "GET",
        &format!("/v1/transactions?start={}", latest + 1000),
        "",
        b"",
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, _) = http(
        running.addr,
        "GET",
        "/v1/transactions/by_hash/0x1234",
        "",
        b"",
    )
    .await;
    assert_eq!(status, 400);
    let (status, _, body) = http(
        running.addr,
        "GET",
        &format!("/v1/accounts/{}", account(0x33).1),
        "",
        b"",
    )
    .await;
    assert_eq!(
        (status, api_error(&body).error_code.as_str()),
        (404, "account_not_found")
    );
    let (status, _, _) = http(running.addr, "GET", "/v1/accounts/not-an-address", "", b"").await;
    assert_eq!(status, 400);
    let (status, _, _) = http(running.addr, "GET", "/v1/transactions?limit=abc", "", b"").await;
    assert_eq!(status, 400);

    // Views: unknown function, bad arguments, an abort.
    let view = |body: serde_json::Value| {
        http(
            running.addr,
            "POST",
            "/v1/view",
            "application/json",
            body.to_string().into_bytes().leak(),
        )
    };
    let pkg = support::id().package;
    let (status, _, _) = view(
        serde_json::json!({"function": "0x1::nope::nope", "type_arguments": [], "arguments": []}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _, _) = view(serde_json::json!({"function": format!("{pkg}::job_registry::get_job"), "type_arguments": [], "arguments": [7]})).await;
    assert_eq!(status, 400);
    let (status, _, body) = view(serde_json::json!({"function": format!("{pkg}::job_registry::get_job"), "type_arguments": [], "arguments": ["7"]})).await;
    let e = api_error(&body);
    assert_eq!((status, e.error_code.as_str()), (400, "vm_error"));
    assert!(e.message.contains("E_NO_JOB"), "{}", e.message);
    let (status, _, _) = http(
        running.addr,
        "POST",
        "/v1/view",
        "application/json",
        b"{not json",
    )
    .await;
    assert_eq!(status, 400);
    // Faucet limits.
    let (status, _, _) = http(
        running.addr,
        "POST",
        &format!("/mint?address={alice_addr}&amount=0"),
        "",
        b"",
    )
    .await;
    assert_eq!(status, 400);
    // The balance view matches the account resource.
    let bal = client
        .get_account_balance(alice.address())
        .await
        .expect("balance");
    let (_, _, body) = http(
        running.addr,
        "GET",
        &format!("/v1/accounts/{alice_addr}/resources"),
        "",
        b"",
    )
    .await;
    assert!(body.contains(&format!("\"value\":\"{bal}\"")), "{body}");

    shutdown.trigger();
    running.task.await.expect("join").expect("clean stop");
}

/// The signed transaction with its signature zeroed, as a client simulates it.
fn zero_signature(t: &aptos_sdk::transaction::SignedTransaction) -> Vec<u8> {
    use aptos_sdk::transaction::authenticator::{Ed25519Signature, TransactionAuthenticator};
    let mut t = t.clone();
    if let TransactionAuthenticator::Ed25519 { signature, .. } = &mut t.authenticator {
        *signature = Ed25519Signature([0; 64]);
    }
    t.to_bcs().expect("bcs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulation_commits_nothing_and_resources_are_found_by_parsed_type() {
    let (running, shutdown, client) = start(support::fast_config()).await;
    let (alice, alice_addr) = account(0x41);
    fund(&running, &client, alice_addr, 1_000_000_000).await;
    let (_, bob) = account(0x42);
    let args = vec![
        to_bytes(&bob.0).expect("bcs"),
        to_bytes(&5u64).expect("bcs"),
    ];
    let base = defaults(&client, &alice).await;
    let t = sign(&alice, "0x1::aptos_account::transfer", args, &base);
    let path =
        "/v1/transactions/simulate?estimate_gas_unit_price=true&estimate_max_gas_amount=true";

    // A valid signature is refused; a zero signature simulates.
    let (status, _, body) = http(running.addr, "POST", path, BCS, &t.to_bcs().expect("bcs")).await;
    assert_eq!(status, 400, "{body}");
    let e = api_error(&body);
    assert_eq!(
        (e.message.as_str(), e.error_code.as_str(), e.vm_error_code),
        (
            "Simulated transactions must not have a valid signature",
            "invalid_input",
            None
        )
    );
    let (status, head, body) = http(running.addr, "POST", path, BCS, &zero_signature(&t)).await;
    assert_eq!(status, 200, "{body}");
    assert!(head.to_ascii_lowercase().contains(headers::GAS_USED));
    let out: Vec<serde_json::Value> = serde_json::from_str(&body).expect("json");
    assert_eq!(out[0]["type"], "user_transaction");
    assert_eq!(out[0]["success"], true, "{body}");
    assert_eq!(out[0]["events"][0]["type"], "0x1::coin::CoinWithdraw");

    // Nothing was committed: same sequence number, bob has no account; the real one commits.
    let (status, _, _) = http(
        running.addr,
        "GET",
        &format!("/v1/accounts/{bob}"),
        "application/json",
        b"",
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        defaults(&client, &alice).await.sequence_number,
        base.sequence_number
    );
    let pending = client.submit_transaction(&t).await.expect("admitted");
    let hash = pending.data.hash.to_string();
    let (status, _, body) = http(
        running.addr,
        "GET",
        &format!("/v1/transactions/wait_by_hash/{hash}"),
        "application/json",
        b"",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(committed(&client, &hash).await.success);

    // Resource types are parsed: any address form finds the coin store.
    let long = "0x0000000000000000000000000000000000000000000000000000000000000001";
    let (status, _, body) = http(
        running.addr,
        "GET",
        &format!(
            "/v1/accounts/{bob}/resource/{long}::coin::CoinStore%3C0x01::aptos_coin::AptosCoin%3E"
        ),
        "application/json",
        b"",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let r: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        r["type"],
        "0x1::coin::CoinStore<0x1::aptos_coin::AptosCoin>"
    );
    assert_eq!(r["data"]["coin"]["value"], "5");
    let (status, _, body) = http(
        running.addr,
        "GET",
        &format!("/v1/accounts/{bob}/balance/0x01::aptos_coin::AptosCoin"),
        "application/json",
        b"",
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "5"));
    let (status, _, body) = http(
        running.addr,
        "GET",
        &format!("/v1/transactions/wait_by_hash/0x{}", "ee".repeat(32)),
        "application/json",
        b"",
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(api_error(&body).error_code, "transaction_not_found");
    shutdown.trigger();
    running.task.await.expect("join").expect("clean stop");
}
