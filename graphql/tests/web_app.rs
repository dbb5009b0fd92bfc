//! The web app's files and `/config.json` as the gateway serves them: pages as directories
//! with `index.html`, content-hashed assets cached for good, pages revalidated, the gateway's
//! own routes winning over files of the same name, and the dashboard kept at `/dashboard`.

mod support;

use computestream_runtime::Shutdown;
use support::{config, gateway, seeded};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_serves_the_exported_app_and_its_configuration() {
    let s = seeded(1, 5).await;
    let out = &std::env::temp_dir().join(format!("cs-web-out-{}", std::process::id()));
    std::fs::create_dir_all(out.join("provider")).expect("mkdir");
    std::fs::create_dir_all(out.join("_next/static/chunks")).expect("mkdir");
    std::fs::write(out.join("index.html"), "<html>marketplace</html>").expect("write");
    std::fs::write(out.join("provider/index.html"), "<html>console</html>").expect("write");
    std::fs::write(out.join("_next/static/chunks/app-1a2b.js"), "1").expect("write");
    std::fs::write(out.join("config.json"), "{\"stale\": true}").expect("write");

    let mut cfg = config();
    cfg.web.dir = Some(out.clone());
    cfg.web.faucet_url = Some("http://127.0.0.1:8070".into());
    let stop = Shutdown::new();
    let gw = gateway(&s, cfg, Some("http://node.example/v1".into()), stop.clone()).await;
    let http = reqwest::Client::new();
    let base = format!("http://{}", gw.addr);
    let get = |path: &str| http.get(format!("{base}{path}")).send();

    let r = get("/").await.expect("GET /");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-cache");
    assert_eq!(r.text().await.expect("body"), "<html>marketplace</html>");
    let r = get("/provider/").await.expect("GET /provider/");
    assert_eq!(r.text().await.expect("body"), "<html>console</html>");
    let r = get("/_next/static/chunks/app-1a2b.js")
        .await
        .expect("asset");
    assert_eq!(r.status(), 200);
    assert!(r.headers()["cache-control"]
        .to_str()
        .expect("ascii")
        .contains("immutable"));
    assert_eq!(get("/nope.js").await.expect("404").status(), 404);

    // The gateway's configuration, not the stale file of the same name.
    let c: serde_json::Value = get("/config.json")
        .await
        .expect("config")
        .json()
        .await
        .expect("json");
    assert_eq!(c["graphqlWs"], "/graphql/ws");
    assert_eq!(c["graphqlHttp"], "/graphql");
    assert_eq!(c["restBase"], "/api/v1");
    assert_eq!(c["nodeUrl"], "http://node.example/v1");
    assert_eq!(c["faucetUrl"], "http://127.0.0.1:8070");
    assert_eq!(c["chainId"], 4);
    assert_eq!(c["network"], "movement:4");
    assert_eq!(c["package"], format!("0x{}", "c5".repeat(32)));
    assert!(c["explorerTxUrl"].is_null());

    // GraphQL and the dashboard are still the gateway's.
    let r = http
        .post(format!("{base}/graphql"))
        .json(&serde_json::json!({"query": "{ __typename }"}))
        .send()
        .await
        .expect("graphql");
    assert_eq!(r.status(), 200);
    let r = get("/dashboard").await.expect("dashboard");
    assert!(r.text().await.expect("body").contains("<html"));
    stop.trigger();
    let _ = std::fs::remove_dir_all(out);
}
