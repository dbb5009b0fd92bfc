//! The load generator's workload executes cleanly: every transaction succeeds, every
//! settlement pays exactly its voucher, escrow is conserved, and no octa is created or lost
//! beyond the fees burnt.

use computestream_devnet::load::{self, LoadPlan};
use computestream_devnet::node::Node;
use computestream_devnet::{ChainIdentity, DevnetConfig, ROOT_BALANCE};
use computestream_domain::{ed25519_authentication_key, AccountAddress, SigningKey};
use computestream_nodeapi::Transaction;

#[test]
fn workload_commits_and_conserves_value() {
    let id = ChainIdentity {
        chain_id: 4,
        package: AccountAddress::new([0xc5; 32]),
    };
    let seed = SigningKey::from_hex(DevnetConfig::default().root_seed.expose())
        .expect("seed")
        .seed();
    let root = ed25519_authentication_key(&SigningKey::from_seed(seed).public_key());
    let mut clock = 1_800_000_000_000_000u64;
    let plan = LoadPlan {
        providers: 3,
        jobs: 20,
        deposits: 2,
        batch: 7,
        max_job_secs: load::MAX_JOB_SECS,
    };
    let w = load::build(plan, id, seed, clock / 1_000_000 + 3600).expect("workload");
    let mut node = Node::new(id.chain_id, id.package, clock, &[(root, ROOT_BALANCE)]);
    let supply_before = node.state.total_supply();
    for phase in w.setup.iter().chain(std::iter::once(&w.load)) {
        for t in phase {
            node.submit(&t.to_bcs().expect("bcs"), clock / 1_000_000)
                .expect("admitted");
        }
        while node.mempool_len() > 0 {
            clock += 1_000_000;
            node.produce_block(clock);
        }
    }
    let total = w.setup.iter().map(Vec::len).sum::<usize>() + w.load.len();
    assert_eq!(node.committed_counts().0, total as u64);
    let mut settled = 0;
    for v in 0..=node.ledger_version() {
        if let Some(Transaction::User(u)) = node.transaction(v).expect("the ledger reads back") {
            assert!(u.success, "version {v}: {}", u.vm_status);
            settled += u
                .events
                .iter()
                .filter(|e| e.type_.ends_with("::payment_stream::StreamSettled"))
                .count();
        }
    }
    assert_eq!(settled, plan.jobs);
    for (job, e) in &node.state.escrows {
        assert!(e.is_conserved(), "job {job}");
        assert_eq!(e.released, 5_000, "job {job} paid exactly its voucher");
    }
    assert_eq!(
        node.state.total_supply() + u128::from(node.state.burnt),
        supply_before
    );
}
