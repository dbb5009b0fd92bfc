//! The gateway against real Postgres (read models projected from a synthetic history) and
//! the real broker: query results, pagination and filters checked against SQL; variables
//! of every input type (no `Float` anywhere: the aptos-sdk `arbitrary_precision` trap);
//! limits and errors with codes, never a 500; Sign-in-with-Aptos sessions on writes; the
//! REST API and its OpenAPI document.

mod support;

use computestream_domain::{ed25519_authentication_key, SigningKey};
use computestream_runtime::Shutdown;
use serde_json::{json, Value};
use support::{code, config, gateway, seeded, Client};

const JOBS: u64 = 30;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_match_the_read_models() {
    let s = seeded(JOBS, 120).await;
    let stop = Shutdown::new();
    let gw = gateway(&s, config(), None, stop.clone()).await;
    let c = Client::new(gw.addr);

    // Providers: filter, order, cursor pagination over every page.
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM providers WHERE is_active")
        .fetch_one(&s.pool)
        .await
        .expect("count");
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let d = c
            .data(
                "query($f: ProviderFilter, $o: ProviderOrder, $n: Int, $a: String) {
                   providers(filter: $f, order: $o, first: $n, after: $a) {
                     nodes { address gpuType vramGb pricePerSecond stake reputationBps jobsCompleted }
                     pageInfo { hasNextPage endCursor } } }",
                json!({"f": {"gpuType": "H100", "minVramGb": 80, "maxPricePerSecond": "1000", "available": true},
                       "o": "REPUTATION_DESC", "n": 1, "a": after}),
            )
            .await;
        let p = &d["providers"];
        seen.extend(
            p["nodes"]
                .as_array()
                .expect("nodes")
                .iter()
                .map(|n| n["address"].clone()),
        );
        if p["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = p["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(
        seen.len() as i64,
        total,
        "every provider once across the pages"
    );
    let none = c
        .data(
            "query($p: String!) { providers(filter: {maxPricePerSecond: $p}) { nodes { address } } }",
            json!({"p": "999"}),
        )
        .await;
    assert!(none["providers"]["nodes"]
        .as_array()
        .expect("nodes")
        .is_empty());

    // One provider with its jobs, through the DataLoader, and its earnings series.
    let address = seen[0].as_str().expect("address").to_owned();
    let d = c
        .data(
            "query($a: String!, $r: SeriesRange) { provider(address: $a) {
                 address reputationBps jobs(first: 5) { id status provider { address } stream { settled } }
                 earnings(range: $r) { at seconds amount } } }",
            json!({"a": address, "r": {"fromMs": "0", "toMs": "4102444800000", "bucketSecs": 3600}}),
        )
        .await;
    let jobs = d["provider"]["jobs"].as_array().expect("jobs");
    assert!(!jobs.is_empty());
    for j in jobs {
        assert_eq!(j["provider"]["address"], address.as_str());
        assert!(
            j["stream"]["settled"].is_string(),
            "amounts are strings: {j}"
        );
    }
    let earned: String = sqlx::query_scalar(
        "SELECT COALESCE(sum(earnings), 0)::text FROM provider_earnings_minute WHERE provider = $1",
    )
    .bind(&address)
    .fetch_one(&s.pool)
    .await
    .expect("sum");
    let series_total: u128 = d["provider"]["earnings"]
        .as_array()
        .expect("series")
        .iter()
        .map(|p| {
            p["amount"]
                .as_str()
                .expect("amount")
                .parse::<u128>()
                .expect("integer")
        })
        .sum();
    assert_eq!(series_total.to_string(), earned);

    // Jobs: by status, paginated newest first.
    let completed: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE status = 'completed'")
        .fetch_one(&s.pool)
        .await
        .expect("count");
    let d = c
        .data(
            "query($s: JobStatus, $n: Int) { jobs(status: $s, first: $n) { nodes { id } pageInfo { hasNextPage endCursor } } }",
            json!({"s": "COMPLETED", "n": 100}),
        )
        .await;
    assert_eq!(
        d["jobs"]["nodes"].as_array().expect("nodes").len() as i64,
        completed
    );

    // A job's off-chain records (metering, vouchers) are its buyer's and provider's only.
    let private = "query($id: ID!) { paymentStream(jobId: $id) { settled attestedSeconds vouchered accrued series { seconds } } }";
    let anonymous = c.gql(private, json!({"id": "1"})).await;
    assert!(
        anonymous["data"]["paymentStream"]["settled"].is_string(),
        "{anonymous}"
    );
    assert!(anonymous["data"]["paymentStream"]["accrued"].is_null());
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
    let mut other = Client::new(gw.addr);
    other.token = Some(support::sign_in(&other, &support::buyer_of_job(2)).await);
    let forbidden = other.gql(private, json!({"id": "1"})).await;
    assert_eq!(code(&forbidden), "FORBIDDEN", "{forbidden}");
    let r = c.get_json("/api/v1/payments/stream/1").await;
    assert!(
        r["settled"].is_string() && r["vouchered"].is_null() && r["attestedSeconds"].is_null(),
        "{r}"
    );
    let mut c = c;
    c.token = Some(support::sign_in(&c, &support::buyer_of_job(1)).await);
    let r = c.get_json("/api/v1/payments/stream/1").await;
    assert!(
        r["vouchered"].is_string() && r["attestedSeconds"].is_string(),
        "{r}"
    );

    // One job with its stream, settlements and per-second series (as its buyer).
    let d = c
        .data(
            "query($id: ID!) { job(id: $id) { id buyer status escrowAmount outputCid
                 stream { jobId ratePerSecond attestedSeconds accrued settled refunded remaining status
                          settlements { version paidNow paidTotal }
                          series(range: {fromMs: \"0\", toMs: \"4102444800000\", bucketSecs: 60}) { at seconds amount } } }
               paymentStream(jobId: $id) { settled } }",
            json!({"id": "1"}),
        )
        .await;
    let stream = &d["job"]["stream"];
    let (settled, attested): (String, i64) = sqlx::query_as(
        "SELECT settled::text, attested_seconds FROM payment_streams WHERE stream_id = 1",
    )
    .fetch_one(&s.pool)
    .await
    .expect("stream");
    assert_eq!(stream["settled"], settled.as_str());
    assert_eq!(d["paymentStream"]["settled"], settled.as_str());
    let seconds: i64 = stream["series"]
        .as_array()
        .expect("series")
        .iter()
        .map(|p| p["seconds"].as_i64().expect("seconds"))
        .sum();
    assert_eq!(seconds, attested, "the series counts every metered second");

    let d = c
        .data(
            "{ marketplaceStats { providers jobs completedJobs totalSettled totalEscrow } }",
            json!({}),
        )
        .await;
    assert_eq!(d["marketplaceStats"]["jobs"], JOBS.to_string());

    // Variables of every input type: String, Int, Boolean, ID, enum, input objects.
    let v = c
        .gql(
            "query($s: String!, $i: Int, $b: Boolean, $id: ID!, $e: JobStatus, $f: ProviderFilter) {
               providers(filter: $f, first: $i) { nodes { address } }
               provider(address: $s) { address }
               job(id: $id) { id }
               jobs(status: $e, first: $i) { nodes { id } }
               other: providers(filter: {available: $b}) { nodes { address } } }",
            json!({"s": address, "i": 3, "b": false, "id": "2", "e": "RUNNING",
                   "f": {"gpuType": "H100", "minVramGb": 1, "maxPricePerSecond": "5000"}}),
        )
        .await;
    assert!(v.get("errors").is_none(), "{v}");

    stop.trigger();
    gw.task.await.expect("join").expect("gateway");
    s.db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_and_abusive_requests_get_coded_errors_never_a_500() {
    let s = seeded(10, 30).await;
    let stop = Shutdown::new();
    let mut cfg = config();
    cfg.max_depth = 4;
    cfg.max_complexity = 60;
    cfg.max_body_bytes = 4 * 1024;
    cfg.rate_limit_per_minute = 30;
    let gw = gateway(&s, cfg, None, stop.clone()).await;
    let c = Client::new(gw.addr);

    let deep = c
        .gql("{ jobs(first: 1) { nodes { provider { jobs(first: 1) { provider { jobs(first: 1) { id } } } } } } }", json!({}))
        .await;
    assert!(
        deep["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("deep"),
        "{deep}"
    );
    assert_eq!(code(&deep), "QUERY_TOO_DEEP");
    let wide = c
        .gql("{ a: providers(first: 100) { nodes { address gpuType vramGb stake } } b: providers(first: 100) { nodes { address gpuType vramGb stake } } c: marketplaceStats { jobs } }", json!({}))
        .await;
    assert!(
        wide["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("complex"),
        "{wide}"
    );
    assert_eq!(code(&wide), "GRAPHQL_VALIDATION_FAILED");
    assert_eq!(
        code(
            &c.gql("{ jobs(first: 0) { nodes { id } } }", json!({}))
                .await
        ),
        "BAD_USER_INPUT"
    );
    assert_eq!(
        code(
            &c.gql(
                "query($id: ID!) { job(id: $id) { id } }",
                json!({"id": "-3"})
            )
            .await
        ),
        "BAD_USER_INPUT"
    );
    assert_eq!(
        code(
            &c.gql("{ provider(address: \"zz\") { address } }", json!({}))
                .await
        ),
        "BAD_USER_INPUT"
    );
    let syntax = c.gql("{ providers(", json!({})).await;
    assert_eq!(code(&syntax), "GRAPHQL_PARSE_FAILED", "{syntax}");
    // A Float where an Int is expected is a validation error, not a crash.
    let float = c
        .gql(
            "query($n: Int) { jobs(first: $n) { nodes { id } } }",
            json!({"n": 1.5}),
        )
        .await;
    assert_eq!(code(&float), "GRAPHQL_VALIDATION_FAILED", "{float}");

    let big = "x".repeat(8 * 1024);
    let r = c
        .http
        .post(format!("{}/graphql", c.base))
        .json(&json!({"query": format!("{{ provider(address: \"{big}\") {{ address }} }}")}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), reqwest::StatusCode::PAYLOAD_TOO_LARGE);

    let mut limited = false;
    for _ in 0..60 {
        let r = c
            .http
            .get(format!("{}/api/v1/providers/available", c.base))
            .send()
            .await
            .expect("get");
        assert_ne!(r.status(), reqwest::StatusCode::INTERNAL_SERVER_ERROR);
        if r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }
    assert!(limited, "the rate limit applies");
    stop.trigger();
    let _ = gw.task.await;

    // Production: no introspection; only allowlisted documents run.
    let stop = Shutdown::new();
    let allowed = "{ marketplaceStats { jobs } }";
    let mut cfg = config();
    cfg.production = true;
    cfg.allowlist = vec![computestream_graphql::limits::document_hash(allowed)];
    let gw = gateway(&s, cfg, None, stop.clone()).await;
    let c = Client::new(gw.addr);
    assert!(c.gql(allowed, json!({})).await.get("errors").is_none());
    assert_eq!(
        code(&c.gql("{ __schema { types { name } } }", json!({})).await),
        "PERSISTED_QUERY_NOT_ALLOWED"
    );
    stop.trigger();
    let _ = gw.task.await;
    let stop = Shutdown::new();
    let mut cfg = config();
    cfg.production = true;
    let gw = gateway(&s, cfg, None, stop.clone()).await;
    let c = Client::new(gw.addr);
    let intro = c.gql("{ __schema { types { name } } }", json!({})).await;
    assert!(
        intro["errors"].is_array() || intro["data"]["__schema"].is_null(),
        "introspection is off: {intro}"
    );
    stop.trigger();
    let _ = gw.task.await;
    s.db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_need_a_signed_in_session_bound_to_the_address() {
    let s = seeded(10, 30).await;
    let (running, devnet_stop) = computestream_testkit::chain::devnet().await;
    let stop = Shutdown::new();
    let gw = gateway(&s, config(), Some(running.rest_url()), stop.clone()).await;
    let mut c = Client::new(gw.addr);
    let key = SigningKey::from_seed(computestream_devnet::load::provider_seed(7));
    let me = ed25519_authentication_key(&key.public_key());
    let build = "mutation { buildUpdateAvailability(isActive: false) { sender function json } }";
    assert_eq!(code(&c.gql(build, json!({})).await), "UNAUTHENTICATED");
    let r = c
        .http
        .post(format!("{}/api/v1/escrow/deposit", c.base))
        .json(&json!({"jobId": "1", "amount": "5"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), reqwest::StatusCode::UNAUTHORIZED);

    // Sign in: challenge, sign the message, session.
    let ch = c
        .data(
            "mutation($a: String!) { signInChallenge(address: $a) { nonce message } }",
            json!({"a": me.to_long_string()}),
        )
        .await;
    let message = ch["signInChallenge"]["message"].as_str().expect("message");
    let nonce = ch["signInChallenge"]["nonce"].as_str().expect("nonce");
    let sig = key.sign(message.as_bytes());
    let forged = SigningKey::from_seed([9; 32]).sign(message.as_bytes());
    let bad = c
        .gql(
            "mutation($a: String!, $k: String!, $n: String!, $s: String!) { signIn(address: $a, publicKey: $k, nonce: $n, signature: $s) { token } }",
            json!({"a": me.to_long_string(), "k": key.public_key().to_string(), "n": nonce, "s": forged.to_string()}),
        )
        .await;
    assert_eq!(code(&bad), "FORBIDDEN");
    let _ = sig;
    c.token = Some(support::sign_in(&c, &key).await);

    let p = c.data(build, json!({})).await;
    assert_eq!(
        p["buildUpdateAvailability"]["sender"],
        me.to_long_string().as_str()
    );
    assert!(p["buildUpdateAvailability"]["function"]
        .as_str()
        .expect("f")
        .ends_with("::provider_registry::update_availability"));
    // The voucher key may be a session key (not the account's); it must be a valid key, and
    // the package's bounds are checked before anything is signed.
    let session_key = SigningKey::from_seed([8; 32]);
    let create = "mutation($k: String!, $d: String!) { buildCreateJob(provider: \"0x1\", dockerImage: \"img\", maxDurationSecs: $d, escrowAmount: \"1000\", buyerPublicKey: $k) { function } }";
    let v = c
        .data(
            create,
            json!({"k": session_key.public_key().to_string(), "d": "60"}),
        )
        .await;
    assert!(v["buildCreateJob"]["function"]
        .as_str()
        .expect("f")
        .ends_with("::job_registry::create_job"));
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let v = c
        .gql(
            create,
            json!({"k": format!("0x{}", hex::encode(identity)), "d": "60"}),
        )
        .await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "a small-order voucher key");
    let v = c
        .gql(
            create,
            json!({"k": session_key.public_key().to_string(), "d": u64::MAX.to_string()}),
        )
        .await;
    assert_eq!(
        code(&v),
        "BAD_USER_INPUT",
        "a duration past MAX_DURATION_SECS"
    );
    assert!(
        v.to_string().contains("job_registry::E_DURATION_TOO_LONG"),
        "{v}"
    );
    let r = c
        .http
        .post(format!("{}/api/v1/escrow/deposit", c.base))
        .bearer_auth(c.token.clone().expect("token"))
        .json(&json!({"jobId": "1", "amount": "5"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), reqwest::StatusCode::OK);

    // Submitting: someone else's transaction is refused; the account's own is sent.
    let theirs = computestream_devnet::load::sign_call(
        computestream_testkit::chain::identity(),
        [8; 32],
        0,
        "provider_registry",
        "update_availability",
        vec![aptos_sdk::aptos_bcs::to_bytes(&true).expect("bcs")],
        computestream_testkit::chain::expiry(),
    )
    .expect("sign");
    let v = c
        .gql(
            "mutation($h: String!) { submitSignedTransaction(bcsHex: $h) { hash } }",
            json!({"h": hex::encode(theirs.to_bcs().expect("bcs"))}),
        )
        .await;
    assert_eq!(code(&v), "FORBIDDEN");
    computestream_testkit::chain::register_provider(&running, 7).await;
    let mine = computestream_devnet::load::sign_call(
        computestream_testkit::chain::identity(),
        computestream_devnet::load::provider_seed(7),
        1,
        "provider_registry",
        "update_availability",
        vec![aptos_sdk::aptos_bcs::to_bytes(&false).expect("bcs")],
        computestream_testkit::chain::expiry(),
    )
    .expect("sign");
    let v = c
        .data(
            "mutation($h: String!) { submitSignedTransaction(bcsHex: $h) { hash sender } }",
            json!({"h": hex::encode(mine.to_bcs().expect("bcs"))}),
        )
        .await;
    assert_eq!(
        v["submitSignedTransaction"]["hash"],
        mine.hash().expect("hash").to_hex().as_str()
    );
    stop.trigger();
    let _ = gw.task.await;
    devnet_stop.trigger();
    s.db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rest_api_and_its_openapi_document() {
    let s = seeded(10, 30).await;
    let stop = Shutdown::new();
    let gw = gateway(&s, config(), None, stop.clone()).await;
    let c = Client::new(gw.addr);
    let get = |path: &str| {
        let url = format!("{}/api/v1{path}", c.base);
        let http = c.http.clone();
        async move {
            let r = http.get(url).send().await.expect("get");
            let status = r.status();
            (status, r.json::<Value>().await.expect("json"))
        }
    };
    let (st, v) = get("/providers/available?gpuType=H100&limit=5").await;
    assert_eq!(st, reqwest::StatusCode::OK);
    assert!(!v["providers"].as_array().expect("providers").is_empty());
    let (st, v) = get("/jobs/1/status").await;
    assert_eq!(st, reqwest::StatusCode::OK);
    assert_eq!(v["id"], "1");
    let (st, v) = get("/jobs/history?status=completed&limit=3").await;
    assert_eq!(st, reqwest::StatusCode::OK);
    assert!(v["jobs"].as_array().expect("jobs").len() <= 3);
    let (st, v) = get("/payments/stream/1").await;
    assert_eq!(st, reqwest::StatusCode::OK);
    assert!(v["settled"].is_string());
    let (st, v) = get("/jobs/999999/status").await;
    assert_eq!(st, reqwest::StatusCode::NOT_FOUND);
    assert_eq!(v["error"]["code"], "NOT_FOUND");
    let (st, _) = get("/jobs/abc/status").await;
    assert_eq!(st, reqwest::StatusCode::BAD_REQUEST);
    let (st, doc) = get("/openapi.json").await;
    assert_eq!(st, reqwest::StatusCode::OK);
    assert_eq!(doc["openapi"], "3.0.3");
    for path in [
        "/providers/register",
        "/providers/available",
        "/providers/{id}/availability",
        "/jobs/create",
        "/jobs/{id}/status",
        "/jobs/history",
        "/escrow/deposit",
        "/payments/stream/{jobId}",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
    let page = c
        .http
        .get(format!("{}/", c.base))
        .send()
        .await
        .expect("dashboard")
        .text()
        .await
        .expect("html");
    assert!(page.contains("graphql-transport-ws"));
    stop.trigger();
    let _ = gw.task.await;
    s.db.drop_now().await;
}

/// Issue 24 item 7: in production, CORS allows the configured web origin and nothing else
/// (no `*`); with no origin configured, no cross-origin caller at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_allows_only_the_web_origin_in_production() {
    let s = seeded(1, 2).await;
    let stop = Shutdown::new();
    let mut cfg = config();
    cfg.production = true;
    cfg.cors_origins = vec!["https://app.example".into()];
    let web = gateway(&s, cfg.clone(), None, stop.clone()).await;
    cfg.cors_origins = Vec::new();
    let bare = gateway(&s, cfg, None, stop.clone()).await;
    let http = reqwest::Client::new();
    let allowed = |addr: std::net::SocketAddr, origin: &'static str| {
        let http = http.clone();
        async move {
            let r = http
                .request(reqwest::Method::OPTIONS, format!("http://{addr}/graphql"))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .send()
                .await
                .expect("preflight");
            r.headers()
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        }
    };
    assert_eq!(
        allowed(web.addr, "https://app.example").await.as_deref(),
        Some("https://app.example")
    );
    assert_eq!(allowed(web.addr, "https://evil.example").await, None);
    assert_eq!(allowed(bare.addr, "https://evil.example").await, None);
    let mut star = config();
    star.production = true;
    star.cors_origins = vec!["*".into()];
    assert!(star.validate().is_err());
    stop.trigger();
    let _ = web.task.await;
    let _ = bare.task.await;
    s.db.drop_now().await;
}
