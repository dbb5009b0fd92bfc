//! One smoke test per real service, proving the wiring the integration tests build on:
//! a record produced and consumed through rdkafka against the broker, the migrations
//! applied in Postgres with the offset store committing inside a transaction, and a
//! sandboxed container run through bollard against the Docker engine.

use std::time::Duration;

use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, LogsOptionsBuilder, RemoveContainerOptionsBuilder,
    WaitContainerOptionsBuilder,
};
use computestream_domain::{AccountAddress, Octas};
use computestream_eventlog::{admin, tails, EnvelopeProducer, LogConsumer};
use computestream_projector::{migrate, OffsetStore};
use computestream_schemas::events::ProviderRegistered;
use computestream_schemas::{topics, Envelope};
use computestream_testkit::{docker, kafka, test_image, TestDatabase};
use futures::StreamExt;

#[tokio::test]
async fn broker_produces_and_consumes_an_envelope() {
    let settings = kafka();
    let created = admin::ensure_topics(&settings, &topics::ALL)
        .await
        .expect("create topics");
    assert_eq!(created.len(), topics::ALL.len());
    // Creating again is a no-op, not an error.
    admin::ensure_topics(&settings, &topics::ALL)
        .await
        .expect("idempotent create");

    let env = Envelope::chain(
        4,
        17,
        0,
        1_700_000_000_000,
        ProviderRegistered {
            provider: AccountAddress::new([7; 32]),
            gpu_type: "H100".into(),
            vram_gb: 80,
            price_per_second: Octas(1_000),
            stake: Octas(5_000_000),
        },
    );
    let producer = EnvelopeProducer::new(&settings, "smoke").expect("producer");
    let delivered = producer.send(&env).await.expect("produce");
    let expected_partition =
        topics::partition_for(&env.aggregate_key, topics::CHAIN_EVENTS.partitions);
    assert_eq!(delivered.partition, expected_partition);

    let topic = settings.topic(topics::CHAIN_EVENTS.name);
    let consumer = LogConsumer::new(&settings, "smoke").expect("consumer");
    consumer
        .assign(&topic, &[(delivered.partition, 0)])
        .expect("assign");
    let record = tokio::time::timeout(Duration::from_secs(30), consumer.next())
        .await
        .expect("a record within 30 s")
        .expect("consume");
    assert_eq!(record.offset, delivered.offset);
    assert_eq!(record.key.as_deref(), Some(env.aggregate_key.as_bytes()));
    assert_eq!(Envelope::from_json(&record.payload).expect("decode"), env);

    let marks = tails::watermarks(&settings, &topic, topics::CHAIN_EVENTS.partitions)
        .await
        .expect("watermarks");
    let (low, high) = marks[delivered.partition as usize];
    assert_eq!(high - low, 1, "exactly one record in that partition");
}

#[tokio::test]
async fn postgres_migrates_and_offsets_commit_with_the_transaction() {
    let db = TestDatabase::fresh().await;
    migrate(&db.pool).await.expect("migrate");
    migrate(&db.pool).await.expect("migrating twice is a no-op");

    let store = OffsetStore::new("smoke");
    let mut tx = db.pool.begin().await.expect("begin");
    store.save(&mut tx, "t", 0, 10).await.expect("save");
    tx.rollback().await.expect("rollback");
    assert!(
        store.load(&db.pool, "t").await.expect("load").is_empty(),
        "rolled back"
    );

    let mut tx = db.pool.begin().await.expect("begin");
    store.save(&mut tx, "t", 0, 10).await.expect("save");
    store.save(&mut tx, "t", 2, 5).await.expect("save");
    tx.commit().await.expect("commit");
    let mut tx = db.pool.begin().await.expect("begin");
    store.save(&mut tx, "t", 0, 3).await.expect("save older");
    tx.commit().await.expect("commit");
    assert_eq!(
        store.load(&db.pool, "t").await.expect("load"),
        vec![(0, 10), (2, 5)]
    );

    let mut tx = db.pool.begin().await.expect("begin");
    assert!(store.save(&mut tx, "t", -1, 0).await.is_err());
    drop(tx);
    db.drop_now().await;
}

#[tokio::test]
async fn docker_runs_a_sandboxed_container() {
    let docker = docker().await;
    let name = format!("cs-smoke-{}", std::process::id());
    let body = ContainerCreateBody {
        image: Some(test_image()),
        cmd: Some(vec![
            "sh".into(),
            "-c".into(),
            "echo hello from $(id -u); touch /x 2>/dev/null || echo read-only".into(),
        ]),
        user: Some("65534:65534".into()),
        network_disabled: Some(true),
        host_config: Some(HostConfig {
            network_mode: Some("none".into()),
            readonly_rootfs: Some(true),
            cap_drop: Some(vec!["ALL".into()]),
            security_opt: Some(vec!["no-new-privileges".into()]),
            memory: Some(64 * 1024 * 1024),
            pids_limit: Some(32),
            ..Default::default()
        }),
        ..Default::default()
    };
    let created = docker
        .create_container(
            Some(CreateContainerOptionsBuilder::new().name(&name).build()),
            body,
        )
        .await
        .expect("create container");
    docker
        .start_container(
            &created.id,
            None::<bollard::query_parameters::StartContainerOptions>,
        )
        .await
        .expect("start");
    let mut wait = docker.wait_container(
        &created.id,
        Some(WaitContainerOptionsBuilder::new().build()),
    );
    let exit = wait.next().await.expect("wait result").expect("wait");
    assert_eq!(exit.status_code, 0);
    let mut logs = docker.logs(
        &created.id,
        Some(LogsOptionsBuilder::new().stdout(true).stderr(true).build()),
    );
    let mut out = String::new();
    while let Some(chunk) = logs.next().await {
        out.push_str(&chunk.expect("log chunk").to_string());
    }
    docker
        .remove_container(
            &created.id,
            Some(RemoveContainerOptionsBuilder::new().force(true).build()),
        )
        .await
        .expect("remove");
    assert!(out.contains("hello from 65534"), "{out}");
    assert!(out.contains("read-only"), "{out}");
}
