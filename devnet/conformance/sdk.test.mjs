// The devnet through the official Aptos TypeScript SDK, unmodified: every call a frontend or
// wallet makes. Run by `devnet/tests/sdk_conformance.rs` (which starts a devnet and sets
// DEVNET_URL and DEVNET_PACKAGE), or by hand: `DEVNET_URL=http://127.0.0.1:8070
// DEVNET_PACKAGE=0x0c5c… node --test` against `computestream devnet`.
//
// The tests in this file run in order and share the accounts they fund.

import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Account,
  AccountAddress,
  Aptos,
  AptosApiError,
  AptosConfig,
  Network,
  Serializer,
  SignedTransaction,
  TransactionAuthenticatorEd25519,
} from "@aptos-labs/ts-sdk";

const URL_ = process.env.DEVNET_URL;
const PACKAGE = process.env.DEVNET_PACKAGE;
if (!URL_ || !PACKAGE) {
  throw new Error("DEVNET_URL and DEVNET_PACKAGE must be set");
}
const aptos = new Aptos(
  new AptosConfig({ network: Network.CUSTOM, fullnode: `${URL_}/v1`, faucet: URL_ }),
);
const APT = "0x1::aptos_coin::AptosCoin";
/** The package address as the node prints it in type tags: leading zeros dropped. */
const PKG = AccountAddress.from(PACKAGE).toStringShort();
const CHAIN_ID = Number(process.env.DEVNET_CHAIN_ID ?? "4");

const provider = Account.generate();
const buyer = Account.generate();
const settler = Account.generate();
const stranger = Account.generate();

/** Every entry function the suite sent through build.simple → simulate → submit → wait. */
const sent = new Set();
/** Every view the suite called. */
const viewed = new Set();

/** BCS of `payment_stream::VoucherMessage`, signed by `key`: a cumulative voucher. */
function voucher(key, streamId, cumulative) {
  const s = new Serializer();
  s.serializeBytes(new TextEncoder().encode("computestream::voucher::v1"));
  s.serializeU8(CHAIN_ID);
  AccountAddress.from(PACKAGE).serialize(s);
  s.serializeU64(BigInt(streamId));
  s.serializeU64(BigInt(cumulative));
  return key.sign(s.toUint8Array()).toUint8Array();
}

/**
 * One entry function the way a wallet runs it: `transaction.build.simple` (the SDK fetches the
 * module ABI), `transaction.simulate.simple` with the estimate flags, then
 * `signAndSubmitTransaction` and `waitForTransaction`. The simulation must agree with the
 * committed transaction (success, gas, event types); every package event type carries the
 * package address without leading zeros.
 */
async function run(signer, fn, functionArguments, { typeArguments = [], expectSuccess = true } = {}) {
  const fullName = fn.startsWith("0x") ? fn : `${PACKAGE}::${fn}`;
  const transaction = await aptos.transaction.build.simple({
    sender: signer.accountAddress,
    data: { function: fullName, typeArguments, functionArguments },
  });
  const [sim] = await aptos.transaction.simulate.simple({
    signerPublicKey: signer.publicKey,
    transaction,
    options: {
      estimateGasUnitPrice: true,
      estimateMaxGasAmount: true,
      estimatePrioritizedGasUnitPrice: true,
    },
  });
  assert.equal(sim.success, expectSuccess, `${fn} simulated: ${sim.vm_status}`);
  const pending = await aptos.signAndSubmitTransaction({ signer, transaction });
  assert.match(pending.hash, /^0x[0-9a-f]{64}$/);
  const done = await aptos.waitForTransaction({
    transactionHash: pending.hash,
    options: { checkSuccess: false },
  });
  assert.equal(done.type, "user_transaction");
  assert.equal(done.success, expectSuccess, `${fn}: ${done.vm_status}`);
  assert.equal(sim.vm_status, done.vm_status);
  assert.equal(sim.gas_used, done.gas_used);
  assert.deepEqual(
    sim.events.map((e) => e.type),
    done.events.map((e) => e.type),
  );
  assert.equal(done.events.at(-1).type, "0x1::transaction_fee::FeeStatement");
  for (const e of done.events) {
    if (e.type.includes("::provider_registry::") || e.type.includes("::job_registry::")
      || e.type.includes("::escrow::") || e.type.includes("::payment_stream::")) {
      assert.ok(e.type.startsWith(`${PKG}::`), `${e.type} prints the package as ${PKG}`);
    }
  }
  assert.equal(done.payload.function, `${AccountAddress.from(fullName.split("::")[0]).toStringShort()}::${fullName.split("::").slice(1).join("::")}`);
  if (!fn.startsWith("0x")) sent.add(fn);
  return done;
}

async function view(fn, functionArguments, typeArguments = []) {
  const fullName = fn.startsWith("0x") ? fn : `${PACKAGE}::${fn}`;
  const out = await aptos.view({ payload: { function: fullName, typeArguments, functionArguments } });
  if (!fn.startsWith("0x")) viewed.add(fn);
  return out;
}

async function rejects(promise, check) {
  try {
    await promise;
  } catch (e) {
    check(e);
    return;
  }
  assert.fail("expected an error");
}

describe("the devnet through @aptos-labs/ts-sdk", { concurrency: false }, () => {
  before(async () => {
    for (const a of [provider, buyer, settler, stranger]) {
      // The devnet has no indexer: a wallet on it does not wait for one.
      const t = await aptos.fundAccount({
        accountAddress: a.accountAddress,
        amount: 1_000_000_000,
        options: { waitForIndexer: false },
      });
      assert.equal(t.success, true);
    }
  });

  it("ledger info and chain id", async () => {
    const info = await aptos.getLedgerInfo();
    assert.equal(info.chain_id, CHAIN_ID);
    assert.ok(BigInt(info.ledger_version) > 0n);
    assert.equal(await aptos.getChainId(), CHAIN_ID);
  });

  it("faucet, account, resources and balances", async () => {
    const info = await aptos.getAccountInfo({ accountAddress: provider.accountAddress });
    assert.equal(info.sequence_number, "0");
    assert.equal(info.authentication_key, provider.accountAddress.toStringLong());
    const resources = await aptos.getAccountResources({ accountAddress: provider.accountAddress });
    assert.ok(resources.some((r) => r.type === "0x1::account::Account"));
    const store = await aptos.getAccountResource({
      accountAddress: provider.accountAddress,
      resourceType: `0x1::coin::CoinStore<${APT}>`,
    });
    assert.equal(store.coin.value, "1000000000");
    assert.equal(await aptos.getAccountAPTAmount({ accountAddress: provider.accountAddress }), 1_000_000_000);
    assert.equal(await aptos.getBalance({ accountAddress: provider.accountAddress, asset: APT }), 1_000_000_000);
    const [bal] = await view("0x1::coin::balance", [provider.accountAddress], [APT]);
    assert.equal(bal, "1000000000");
    const [exists] = await view("0x1::account::exists_at", [provider.accountAddress]);
    assert.equal(exists, true);
    const [nobody] = await view("0x1::account::exists_at", [Account.generate().accountAddress]);
    assert.equal(nobody, false);
    const [fa] = await view("0x1::primary_fungible_store::balance", [provider.accountAddress, "0xa"], ["0x1::object::ObjectCore"]);
    assert.equal(fa, "0");
  });

  it("modules: the package and the framework ABIs", async () => {
    const modules = await aptos.getAccountModules({ accountAddress: PACKAGE });
    assert.deepEqual(
      modules.map((m) => m.abi.name).sort(),
      ["escrow", "job_registry", "payment_stream", "provider_registry"],
    );
    for (const m of modules) assert.equal(m.abi.address, PKG);
    const coin = await aptos.getAccountModule({ accountAddress: "0x1", moduleName: "coin" });
    assert.equal(coin.abi.address, "0x1");
    assert.ok(coin.abi.exposed_functions.some((f) => f.name === "balance" && f.is_view));
    await rejects(aptos.getAccountModule({ accountAddress: "0x1", moduleName: "no_such_module" }), (e) => {
      assert.ok(e instanceof AptosApiError);
      assert.equal(e.status, 404);
      assert.equal(e.data.error_code, "module_not_found");
    });
  });

  it("every entry function of the package, and every view", async () => {
    await run(provider, "provider_registry::register_provider", ["H100", 80, 1000, 100_000_000]);
    await run(provider, "provider_registry::update_price", [1000]);
    await run(provider, "provider_registry::update_availability", [true]);
    const p = await view("provider_registry::get_provider", [provider.accountAddress]);
    assert.deepEqual(p, ["H100", "80", "1000", "100000000", true]);
    const [list] = await view("provider_registry::get_providers", [0, 10]);
    assert.deepEqual(list, [provider.accountAddress.toStringShort()]);

    const key = buyer.publicKey.toUint8Array();
    const created = await run(buyer, "job_registry::create_job", [provider.accountAddress, "computestream/busybox:latest", 60, 100_000, key]);
    const job = created.events.find((e) => e.type === `${PKG}::job_registry::JobCreated`);
    assert.equal(job.data.job_id, "1");
    await run(buyer, "escrow::deposit", [1, 20_000]);
    await run(provider, "job_registry::update_job_status", [1, 1]);
    await run(settler, "payment_stream::settle_batch", [[1], [10_000], [voucher(buyer, 1, 10_000)]]);
    await run(provider, "job_registry::report_outcome", [1, 2, 0, "", "file:///outputs/1", "bafkreiexample"]);
    await run(provider, "job_registry::commit_evidence", [1, new Uint8Array(32).fill(0xab), 5]);
    const closed = await run(settler, "payment_stream::close_stream", [1, 30_000, voucher(buyer, 1, 30_000)]);
    assert.ok(closed.events.some((e) => e.type === `${PKG}::payment_stream::StreamClosed`));

    const job1 = await view("job_registry::get_job", [1]);
    assert.equal(job1[0], buyer.accountAddress.toStringShort());
    assert.equal(job1[6], 2);
    const escrow = await view("escrow::get_escrow", [1]);
    assert.equal(escrow.length, 4);
    const stream = await view("payment_stream::get_stream", [1]);
    assert.equal(stream[1], provider.accountAddress.toStringShort());
    const evidence = await view("job_registry::get_evidence", [1]);
    assert.ok(Array.isArray(evidence));

    await run(buyer, "job_registry::create_job", [provider.accountAddress, "computestream/busybox:latest", 60, 60_000, key]);
    await run(provider, "job_registry::update_job_status", [2, 1]);
    await run(provider, "job_registry::report_outcome_with_evidence", [2, 2, 0, "", "", "", new Uint8Array(32).fill(0xcd), 40]);
    await run(provider, "payment_stream::close_stream", [2, 40_000, voucher(buyer, 2, 40_000)]);
    await run(provider, "provider_registry::unstake", []);

    // Every entry function and view the package's ABI names was exercised.
    const modules = await aptos.getAccountModules({ accountAddress: PACKAGE });
    for (const m of modules) {
      for (const f of m.abi.exposed_functions) {
        const name = `${m.abi.name}::${f.name}`;
        if (f.is_entry) assert.ok(sent.has(name), `entry function ${name} not exercised`);
        if (f.is_view) assert.ok(viewed.has(name), `view ${name} not exercised`);
      }
    }
  });

  it("coin transfers a wallet sends", async () => {
    const before_ = await aptos.getAccountAPTAmount({ accountAddress: stranger.accountAddress });
    const transaction = await aptos.transferCoinTransaction({
      sender: buyer.accountAddress,
      recipient: stranger.accountAddress,
      amount: 12_345,
    });
    const pending = await aptos.signAndSubmitTransaction({ signer: buyer, transaction });
    const done = await aptos.waitForTransaction({ transactionHash: pending.hash });
    assert.equal(done.success, true, done.vm_status);
    assert.equal(done.payload.function, "0x1::aptos_account::transfer_coins");
    assert.deepEqual(done.payload.type_arguments, [APT]);
    assert.deepEqual(
      done.events.map((e) => e.type),
      ["0x1::coin::CoinWithdraw", "0x1::coin::CoinDeposit", "0x1::transaction_fee::FeeStatement"],
    );
    assert.equal(done.events[0].data.coin_type, APT);
    assert.equal(await aptos.getAccountAPTAmount({ accountAddress: stranger.accountAddress }), before_ + 12_345);

    // The same functions through build.simple (ABIs fetched from 0x1), any address form of 0x1.
    await run(buyer, "0x1::aptos_account::transfer", [stranger.accountAddress, 1]);
    await run(buyer, "0x1::aptos_account::transfer_coins", [stranger.accountAddress, 2], {
      typeArguments: ["0x0000000000000000000000000000000000000000000000000000000000000001::aptos_coin::AptosCoin"],
    });
    await run(buyer, "0x1::coin::transfer", [stranger.accountAddress, 3], { typeArguments: [APT] });
    // Another coin: nobody holds any, the framework's withdrawal aborts.
    const other = await run(buyer, "0x1::aptos_account::transfer_coins", [stranger.accountAddress, 4], {
      typeArguments: [`${PACKAGE}::provider_registry::Provider`],
      expectSuccess: false,
    });
    assert.match(other.vm_status, /^Move abort in 0x1::coin: EINSUFFICIENT_BALANCE/);
    assert.equal(await aptos.getAccountAPTAmount({ accountAddress: stranger.accountAddress }), before_ + 12_351);
  });

  it("blocks and account transactions", async () => {
    const txns = await aptos.getAccountTransactions({ accountAddress: provider.accountAddress });
    assert.ok(txns.length >= 8);
    txns.forEach((t, i) => {
      assert.equal(t.type, "user_transaction");
      assert.equal(t.sequence_number, String(i));
    });
    const last = txns.at(-1);
    const block = await aptos.getBlockByVersion({ ledgerVersion: last.version, options: { withTransactions: true } });
    assert.ok(BigInt(block.first_version) <= BigInt(last.version));
    assert.ok(BigInt(last.version) <= BigInt(block.last_version));
    assert.ok(block.transactions.some((t) => t.hash === last.hash));
    const same = await aptos.getBlockByHeight({ blockHeight: Number(block.block_height) });
    assert.equal(same.block_hash, block.block_hash);
    assert.equal(same.transactions, undefined);
    const genesis = await aptos.getBlockByHeight({ blockHeight: 0, options: { withTransactions: true } });
    assert.equal(genesis.first_version, "0");
    assert.equal(genesis.transactions[0].type, "genesis_transaction");
  });

  it("error bodies of a failed transaction, a refused one, a failed simulation and a failed view", async () => {
    // Registering twice aborts: committed as failed, with the Move abort as the node prints it.
    const again = await run(stranger, "provider_registry::register_provider", ["H100", 80, 1000, 100_000_000]);
    assert.equal(again.success, true);
    const failed = await run(stranger, "provider_registry::register_provider", ["H100", 80, 1000, 100_000_000], {
      expectSuccess: false,
    });
    assert.match(failed.vm_status, new RegExp(`^Move abort in ${PKG}::provider_registry: E_`));
    assert.equal(failed.events.length, 1);

    // A transaction whose sequence number was used: refused at submission with the node's body.
    const transaction = await aptos.transaction.build.simple({
      sender: stranger.accountAddress,
      data: { function: "0x1::aptos_account::transfer", functionArguments: [buyer.accountAddress, 1] },
      options: { accountSequenceNumber: 0 },
    });
    await rejects(aptos.signAndSubmitTransaction({ signer: stranger, transaction }), (e) => {
      assert.ok(e instanceof AptosApiError);
      assert.equal(e.status, 400);
      assert.equal(e.data.error_code, "vm_error");
      assert.equal(e.data.vm_error_code, 3);
    });

    // A simulation signed for real is refused, as the node refuses it.
    const signed = await aptos.transaction.build.simple({
      sender: stranger.accountAddress,
      data: { function: "0x1::aptos_account::transfer", functionArguments: [buyer.accountAddress, 1] },
    });
    const auth = aptos.transaction.sign({ signer: stranger, transaction: signed });
    const raw = await fetch(`${URL_}/v1/transactions/simulate`, {
      method: "POST",
      headers: { "content-type": "application/x.aptos.signed_transaction+bcs" },
      body: new SignedTransaction(
        signed.rawTransaction,
        new TransactionAuthenticatorEd25519(auth.public_key, auth.signature),
      ).bcsToBytes(),
    });
    assert.equal(raw.status, 400);
    assert.deepEqual(await raw.json(), {
      message: "Simulated transactions must not have a valid signature",
      error_code: "invalid_input",
      vm_error_code: null,
    });

    // A view that aborts.
    await rejects(view("job_registry::get_job", [999]), (e) => {
      assert.ok(e instanceof AptosApiError);
      assert.equal(e.status, 400);
      assert.equal(e.data.error_code, "vm_error");
      assert.equal(e.data.vm_error_code, 4016);
      assert.match(e.data.message, new RegExp(`^Move abort in ${PKG}::job_registry: E_NO_JOB`));
    });
    // A transaction hash nobody knows.
    await rejects(aptos.getTransactionByHash({ transactionHash: `0x${"ee".repeat(32)}` }), (e) => {
      assert.equal(e.status, 404);
      assert.equal(e.data.error_code, "transaction_not_found");
    });
  });
});
