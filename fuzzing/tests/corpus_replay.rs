//! Replays every checked-in input of every fuzz target (`fuzz/corpus/<target>/`): the seeds
//! and whatever the fuzzer kept, including each input that once failed. Runs on stable, in
//! seconds. `CS_UPDATE_CORPUS=1` writes the seeds again (valid inputs of each kind, from the
//! code that produces them).

use std::path::{Path, PathBuf};

use computestream_fuzzing::TARGETS;

fn corpus(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target)
}

#[test]
fn every_checked_in_input_replays_without_a_failure() {
    if std::env::var_os("CS_UPDATE_CORPUS").is_some() {
        seeds::write();
    }
    for (name, target) in TARGETS {
        let dir = corpus(name);
        let mut inputs: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("entry").path())
            .collect();
        inputs.sort();
        assert!(!inputs.is_empty(), "{name}: the corpus has no inputs");
        for path in inputs {
            let data = std::fs::read(&path).expect("read");
            let r = std::panic::catch_unwind(|| target(&data));
            assert!(r.is_ok(), "{name}: {} fails", path.display());
        }
    }
}

mod seeds {
    use super::corpus;
    use computestream_devnet::load;
    use computestream_devnet::LOCAL_PACKAGE;
    use computestream_domain::{Octas, SigningKey, Voucher};
    use computestream_schemas::x402::{header, FacilitatorRequest, PaymentRequirements};

    fn put(target: &str, name: &str, data: &[u8]) {
        let dir = corpus(target);
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join(name), data).expect("write");
    }

    pub fn write() {
        let id = computestream_devnet::ChainIdentity {
            chain_id: 4,
            package: LOCAL_PACKAGE,
        };
        // A voucher in PAYMENT-SIGNATURE, as a buyer sends it.
        let buyer = SigningKey::from_seed(load::buyer_seed(0));
        let provider = SigningKey::from_seed(load::provider_seed(0));
        let v = Voucher {
            chain_id: 4,
            package: LOCAL_PACKAGE,
            stream_id: 7,
            cumulative_amount: Octas(3_000),
        }
        .sign(&buyer);
        let reqs = PaymentRequirements::for_stream(
            4,
            LOCAL_PACKAGE,
            7,
            Octas(1_000),
            computestream_domain::ed25519_authentication_key(&provider.public_key()),
        );
        let payload = FacilitatorRequest::voucher(reqs, &v).payment_payload;
        put(
            "x402_payment_signature",
            "voucher",
            header::encode(&payload).as_bytes(),
        );
        // Every kind of envelope, from the sample history.
        let mut kinds = std::collections::BTreeSet::new();
        for e in computestream_schemas::sample::marketplace(2, 3, 1_700_000_000_000) {
            if kinds.insert(e.kind()) {
                put("envelope", e.kind().as_str(), &e.to_json());
            }
        }
        // A voucher as the executors store it, and a heartbeat at each version ever written
        // (v1 and v2 are upcast on reading).
        put(
            "envelope",
            "voucher_received",
            &computestream_schemas::Envelope::voucher(
                computestream_domain::ed25519_authentication_key(&provider.public_key()),
                1_700_000_000_000,
                computestream_schemas::events::VoucherReceived {
                    voucher: v,
                    second: 3,
                    commitment_id: v.voucher.commitment_id(),
                },
            )
            .to_json(),
        );
        let p = "0x0202020202020202020202020202020202020202020202020202020202020202";
        for (version, extra) in [(1, ""), (2, r#","running_jobs":3"#)] {
            let heartbeat = format!(
                r#"{{"id":"heartbeat:{p}:5","kind":"provider_heartbeat","schema_version":{version},"source":"executor:{p}","chain_version":null,"stream_second":null,"occurred_at_ms":5000,"aggregate_key":"provider:{p}","payload":{{"provider":"{p}","at_ms":5000,"available":true{extra}}}}}"#
            );
            put(
                "envelope",
                &format!("heartbeat_v{version}"),
                heartbeat.as_bytes(),
            );
        }
        // Node responses recorded from aptos-core's API tests (../shared/fixtures).
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/fixtures/aptos-rest");
        if let Ok(dir) = std::fs::read_dir(&fixtures) {
            for f in dir.flatten() {
                let name = f.file_name().to_string_lossy().into_owned();
                if let Some(stem) = name.strip_suffix(".json") {
                    let data = std::fs::read(f.path()).expect("read");
                    put("node_pages", stem, &data);
                }
            }
        }
        // A page of the devnet's transactions: registrations, jobs, streams and deposits of
        // the package, as the indexer reads them.
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let page = rt.block_on(async {
            let (running, stop) = computestream_testkit::chain::devnet_with_jobs(2, 3).await;
            let page = reqwest::get(format!(
                "{}/transactions?start=0&limit=100",
                running.rest_url()
            ))
            .await
            .expect("page")
            .bytes()
            .await
            .expect("body");
            stop.trigger();
            page
        });
        put("node_pages", "devnet_jobs_page", &page);
        // A signed entry-function call, as the official SDK submits it.
        let txn = load::sign_call(
            id,
            load::buyer_seed(0),
            0,
            "job_registry",
            "update_job_status",
            vec![vec![1, 0, 0, 0, 0, 0, 0, 0], vec![4]],
            u64::MAX / 2,
        )
        .expect("sign");
        put("devnet_intake", "entry_call", &txn.to_bcs().expect("bcs"));
    }
}
