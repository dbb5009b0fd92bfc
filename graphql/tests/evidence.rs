//! `Job.evidence.verification` (docs/DISPUTES.md) against the real broker: the gateway reads
//! the job's partitions of the log and gives the verdict `computestream verify` prints — a
//! clean job holds, a job whose log holds a second record for one second (a fork signed by
//! the provider) fails at that exact second; a job the log does not hold is `NOT_FOUND`.

mod support;

use computestream_domain::MeteringRecord;
use computestream_runtime::Shutdown;
use computestream_schemas::events::MeteringTick;
use computestream_schemas::{Envelope, Event};
use serde_json::json;
use support::{code, config, gateway, provider_of_job, seeded, Client, T0_MS};

const QUERY: &str = "query($id: ID!) { job(id: $id) { evidence { meteringHead meteredSeconds
  verification { holds final signedSeconds head committedHead committedSeconds newestVoucher paid firstFailure findings } } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_verifies_a_jobs_evidence_from_the_log() {
    let s = seeded(3, 30).await;
    // Job 2's provider signs a second, different record for second 5 (a fork).
    let history = computestream_testkit::history::marketplace(3, 30, T0_MS);
    let original: MeteringRecord = history
        .iter()
        .find_map(|e| match &e.event {
            Event::MeteringTick(t)
                if t.record.record.stream_id == 2 && t.record.record.second == 5 =>
            {
                Some(t.record.record)
            }
            _ => None,
        })
        .expect("job 2's second 5");
    let forged = MeteringRecord {
        cpu_usage_micros: original.cpu_usage_micros + 1,
        ..original
    };
    computestream_testkit::publish(
        &s.kafka,
        &[Envelope::metering_tick(MeteringTick {
            record: forged.sign(&provider_of_job(2)),
        })],
    )
    .await;

    let stop = Shutdown::new();
    let gw = gateway(&s, config(), None, stop.clone()).await;
    let c = Client::new(gw.addr);

    let clean = c.data(QUERY, json!({"id": "1"})).await;
    let e = &clean["job"]["evidence"];
    let v = &e["verification"];
    assert_eq!(v["holds"], true, "{clean}");
    assert_eq!(
        v["final"], true,
        "the stream closed and the commitment is on chain: the verdict cannot change"
    );
    assert_eq!(v["signedSeconds"], "30");
    assert_eq!(
        v["head"], e["meteringHead"],
        "the records' head is the one committed"
    );
    assert_eq!(v["committedHead"], e["meteringHead"]);
    assert_eq!(v["committedSeconds"], "30");
    assert_eq!(v["newestVoucher"], "30000");
    assert_eq!(v["paid"], "30000");
    assert_eq!(v["firstFailure"], serde_json::Value::Null);
    assert_eq!(v["findings"], json!([]));

    let forked = c.data(QUERY, json!({"id": "2"})).await;
    let v = &forked["job"]["evidence"]["verification"];
    assert_eq!(v["holds"], false, "{forked}");
    assert_eq!(v["firstFailure"], "second 5: two different records");
    assert_eq!(v["signedSeconds"], "4", "the chain holds up to the fork");
    assert_eq!(v["final"], true);

    // Asked again: the same verdict (a closed stream's verdict is kept).
    let again = c.data(QUERY, json!({"id": "2"})).await;
    assert_eq!(again["job"]["evidence"]["verification"], *v);

    // A job in the read models but not in the log (another log): NOT_FOUND, no 500.
    let other = support::Seeded {
        db: computestream_testkit::TestDatabase::fresh().await,
        pool: s.pool.clone(),
        kafka: computestream_testkit::kafka(),
    };
    let gw2 = gateway(&other, config(), None, stop.clone()).await;
    let c2 = Client::new(gw2.addr);
    let missing = c2.gql(QUERY, json!({"id": "3"})).await;
    assert_eq!(code(&missing), "NOT_FOUND", "{missing}");

    // One check a minute per client: a second new check is refused, a cached verdict is
    // still answered.
    let gw3 = gateway(
        &s,
        computestream_graphql::GatewayConfig {
            evidence_checks_per_minute: 1,
            ..config()
        },
        None,
        stop.clone(),
    )
    .await;
    let c3 = Client::new(gw3.addr);
    let first = c3.data(QUERY, json!({"id": "1"})).await;
    assert_eq!(first["job"]["evidence"]["verification"]["holds"], true);
    let refused = c3.gql(QUERY, json!({"id": "2"})).await;
    assert_eq!(code(&refused), "RATE_LIMITED", "{refused}");
    let cached = c3.data(QUERY, json!({"id": "1"})).await;
    assert_eq!(cached["job"]["evidence"]["verification"]["holds"], true);
    stop.trigger();
}
