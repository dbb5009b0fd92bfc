//! Shared by the devnet's integration tests: start a devnet, talk raw HTTP to it, build and
//! sign transactions with aptos-sdk, wait for commits.
#![allow(dead_code)]

use std::net::SocketAddr;

use aptos_sdk::account::Ed25519Account;
use aptos_sdk::api::FullnodeClient;
use aptos_sdk::transaction::{
    EntryFunction, SignedTransaction, TransactionBuilder, TransactionPayload,
};
use aptos_sdk::types::{ChainId, MoveModuleId};
use aptos_sdk::AptosConfig;
use computestream_devnet::{ChainIdentity, DevnetConfig, Running};
use computestream_domain::AccountAddress;
use computestream_nodeapi::UserTransaction;
use computestream_runtime::Shutdown;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub fn id() -> ChainIdentity {
    ChainIdentity {
        chain_id: 4,
        package: AccountAddress::new([0xc5; 32]),
    }
}

pub fn fast_config() -> DevnetConfig {
    DevnetConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        block_time_ms: 10,
        idle_block_ms: 200,
        ..DevnetConfig::default()
    }
}

pub async fn start(config: DevnetConfig) -> (Running, Shutdown, FullnodeClient) {
    let shutdown = Shutdown::new();
    let running = computestream_devnet::start(id(), config, shutdown.clone())
        .await
        .expect("devnet");
    let client = FullnodeClient::new(AptosConfig::custom(&running.rest_url()).expect("url"))
        .expect("client");
    (running, shutdown, client)
}

/// Status, headers and body of one raw HTTP/1.1 request.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> (u16, String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: devnet\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.expect("write");
    s.write_all(body).await.expect("write body");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status");
    let (headers, body) = text
        .split_once("\r\n\r\n")
        .map(|(h, b)| (h.to_owned(), b.to_owned()))
        .unwrap_or_default();
    (status, headers, body)
}

pub async fn post_ok(addr: SocketAddr, path: &str) -> String {
    let (status, _, body) = http(addr, "POST", path, "application/json", b"").await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// Polls until the transaction is committed; failed transactions are results, not errors.
pub async fn committed(client: &FullnodeClient, hash: &str) -> UserTransaction {
    computestream_devnet::driver::committed(client, hash)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Funds `a` through the faucet and waits for the transfer.
pub async fn fund(running: &Running, client: &FullnodeClient, a: AccountAddress, amount: u64) {
    let body = post_ok(running.addr, &format!("/mint?address={a}&amount={amount}")).await;
    let hashes: Vec<String> = serde_json::from_str(&body).expect("faucet answer");
    let t = committed(client, &hashes[0]).await;
    assert!(t.success, "funding failed: {}", t.vm_status);
}

/// Knobs of a transaction under test.
#[derive(Debug, Clone)]
pub struct Txn {
    pub sequence_number: u64,
    pub max_gas: u64,
    pub gas_price: u64,
    pub expiration_secs: u64,
    pub chain_id: u8,
}

pub async fn defaults(client: &FullnodeClient, account: &Ed25519Account) -> Txn {
    let seq = client
        .get_sequence_number(account.address())
        .await
        .unwrap_or(0);
    let now = client
        .get_ledger_info()
        .await
        .expect("ledger")
        .data
        .ledger_timestamp
        .parse::<u64>()
        .expect("ts")
        / 1_000_000;
    Txn {
        sequence_number: seq,
        max_gas: 20_000,
        gas_price: 100,
        expiration_secs: now + 600,
        chain_id: 4,
    }
}

pub fn sign(
    account: &Ed25519Account,
    call: &str,
    args: Vec<Vec<u8>>,
    t: &Txn,
) -> SignedTransaction {
    let (module, function) = call.rsplit_once("::").expect("module::function");
    let module_id = MoveModuleId::from_str_strict(module).expect("module id");
    TransactionBuilder::new()
        .sender(account.address())
        .sequence_number(t.sequence_number)
        .payload(TransactionPayload::EntryFunction(EntryFunction::new(
            module_id,
            function,
            vec![],
            args,
        )))
        .max_gas_amount(t.max_gas)
        .gas_unit_price(t.gas_price)
        .expiration_timestamp_secs(t.expiration_secs)
        .chain_id(ChainId::new(t.chain_id))
        .build_and_sign(account)
        .expect("sign")
}

pub fn account(seed_byte: u8) -> (Ed25519Account, AccountAddress) {
    let key = computestream_domain::SigningKey::from_seed([seed_byte; 32]);
    let acc = Ed25519Account::from_private_key_bytes(&key.seed()).expect("account");
    (
        acc,
        computestream_domain::ed25519_authentication_key(&key.public_key()),
    )
}
