//! The `s3://` artifact store against a real S3 API (moto's server, started by
//! `scripts/stack.sh up`; `CS_S3_ENDPOINT`): a job's outputs stored under their CID and read
//! back byte-equal, their CID recomputed from the bytes read; credentials from `[executor.s3]`
//! never printed; a bucket that does not exist fails the store with a reason that names it.

use computestream_executor::cid::cid_v1_raw;
use computestream_executor::{ArtifactStore, S3Config};
use computestream_runtime::Secret;

fn endpoint() -> String {
    std::env::var("CS_S3_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:9094".into())
}

fn s3() -> S3Config {
    S3Config {
        endpoint: Some(endpoint()),
        region: Some("us-east-1".into()),
        access_key_id: Some("cs-test".into()),
        secret_access_key: Some(Secret::new("cs-test-secret-key".into())),
        allow_http: true,
    }
}

async fn create_bucket(name: &str) {
    // moto accepts an unsigned CreateBucket (no credentials are checked by default).
    let r = reqwest::Client::new()
        .put(format!("{}/{name}", endpoint()))
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "moto's S3 server at {} (scripts/stack.sh up starts it): {e}",
                endpoint()
            )
        });
    assert!(
        r.status().is_success(),
        "create bucket {name}: {}",
        r.status()
    );
}

#[tokio::test]
async fn outputs_round_trip_through_s3_under_their_cid() {
    let bucket = format!("cs-outputs-{}", std::process::id());
    create_bucket(&bucket).await;
    let config = s3();
    assert!(
        !format!("{config:?}").contains("cs-test-secret-key"),
        "the secret key is printed: {config:?}"
    );
    let store = ArtifactStore::open(&format!("s3://{bucket}/jobs"), &config).expect("store");

    let quota = computestream_executor::SandboxPolicy::default().output_quota();
    // Two files, one of 12 MiB: stored as one deterministic tar, uploaded in parts.
    let out = std::env::temp_dir().join(format!("cs-s3-out-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(out.join("sub")).expect("dir");
    std::fs::write(out.join("result.txt"), b"42\n").expect("write");
    std::fs::write(out.join("sub/weights.bin"), vec![7u8; 12 << 20]).expect("write");
    let stored = store
        .store_outputs(&out, quota)
        .await
        .expect("store")
        .expect("something stored");
    assert_eq!(stored.url, format!("s3://{bucket}/jobs/{}", stored.cid));
    let back = store.fetch(&stored.cid).await.expect("fetch");
    assert_eq!(back.len() as u64, stored.bytes);
    assert_eq!(
        cid_v1_raw(&back),
        stored.cid,
        "the bytes read back match the CID"
    );

    // Storing the same outputs again writes the same object.
    let again = store
        .store_outputs(&out, quota)
        .await
        .expect("store")
        .expect("stored");
    assert_eq!(again, stored);

    // One file: stored as itself.
    let single = out.join("single");
    std::fs::create_dir_all(&single).expect("dir");
    std::fs::write(single.join("only.txt"), b"just this").expect("write");
    let one = store
        .store_outputs(&single, quota)
        .await
        .expect("store")
        .expect("stored");
    assert_eq!(store.fetch(&one.cid).await.expect("fetch"), b"just this");

    // A bucket that does not exist: the store fails, naming why.
    let missing =
        ArtifactStore::open(&format!("s3://{bucket}-missing/jobs"), &config).expect("store");
    let err = missing
        .store_outputs(&single, quota)
        .await
        .expect_err("no such bucket");
    let text = err.to_string();
    assert!(
        text.contains("NoSuchBucket") || text.contains("does not exist"),
        "{text}"
    );
    assert!(!text.contains("cs-test-secret-key"), "{text}");
    let _ = std::fs::remove_dir_all(&out);
}
