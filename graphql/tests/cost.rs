//! Cost before work (issue 24 item 1) and introspection under the limits (issue 17 item
//! 5): the fragment bomb is refused with a coded error before it runs, over HTTP and over
//! WebSocket, while the gateway keeps answering; aliases, root fields, nesting and the cost
//! of lists and database reads are capped; graphql-js `getIntrospectionQuery()` (checked in
//! from graphql 16.15) runs wherever introspection is enabled, and not in production.

mod support;

use computestream_graphql::document_limits::fragment_bomb;
use computestream_graphql::GatewayConfig;
use computestream_runtime::Shutdown;
use serde_json::json;
use support::{acked, code, config, gateway, next_json, seeded, send_json, Client};

const INTROSPECTION: &str = include_str!("fixtures/introspection.graphql");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fragment_bomb_and_its_siblings_are_refused_before_any_work() {
    let s = seeded(4, 5).await;
    let stop = Shutdown::new();
    let gw = gateway(&s, config(), None, stop.clone()).await;
    let c = Client::new(gw.addr);

    let bomb = fragment_bomb(22, "marketplaceStats { jobs }");
    assert!(bomb.len() < 1500, "the report's ~1 KB document");
    let r = c.gql(&bomb, json!({})).await;
    assert_eq!(code(&r), "QUERY_TOO_LARGE", "{r}");
    assert!(r["data"].is_null(), "nothing ran: {r}");
    // Two copies at once, and an innocent query still answers.
    let (a, b, ok) = tokio::join!(
        c.gql(&bomb, json!({})),
        c.gql(&bomb, json!({})),
        c.data("{ marketplaceStats { jobs } }", json!({}))
    );
    assert_eq!(
        (code(&a), code(&b)),
        ("QUERY_TOO_LARGE".into(), "QUERY_TOO_LARGE".into())
    );
    assert_eq!(ok["marketplaceStats"]["jobs"], "4");

    // The same over WebSocket: an `error` for that operation.
    let mut ws = acked(gw.addr).await;
    send_json(
        &mut ws,
        json!({"id": "b", "type": "subscribe", "payload": {"query": bomb}}),
    )
    .await;
    let e = next_json(&mut ws).await;
    assert_eq!(
        (e["id"].as_str(), e["type"].as_str()),
        (Some("b"), Some("error")),
        "{e}"
    );
    assert_eq!(e["payload"][0]["extensions"]["code"], "QUERY_TOO_LARGE");

    // Siblings: aliases, root fields, lists within lists, database reads per item.
    let aliases: String = (0..31).map(|i| format!("a{i}: __typename ")).collect();
    assert_eq!(
        code(&c.gql(&format!("{{ {aliases} }}"), json!({})).await),
        "TOO_MANY_ALIASES"
    );
    let roots: String = (0..11)
        .map(|_| "marketplaceStats { jobs } ".to_string())
        .collect();
    assert_eq!(
        code(&c.gql(&format!("{{ {roots} }}"), json!({})).await),
        "TOO_MANY_ROOT_FIELDS"
    );
    let nested_lists = c
        .gql(
            "{ providers(first: 100) { nodes { jobs(first: 100) { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        code(&nested_lists),
        "GRAPHQL_VALIDATION_FAILED",
        "{nested_lists}"
    );
    assert!(
        nested_lists.to_string().contains("complex"),
        "{nested_lists}"
    );
    let reads_per_item = c
        .gql(
            "{ jobs(first: 100) { nodes { stream { series { seconds } settlements { paidNow } } provider { earnings { seconds } } } } }",
            json!({}),
        )
        .await;
    assert!(
        reads_per_item.to_string().contains("complex"),
        "{reads_per_item}"
    );
    // A page of plain fields stays cheap.
    c.data(
        "{ providers(first: 20) { nodes { address gpuType vramGb pricePerSecond reputationBps } } }",
        json!({}),
    )
    .await;

    stop.trigger();
    let _ = gw.task.await;
    s.db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standard_introspection_query_runs_where_introspection_is_enabled() {
    let s = seeded(2, 5).await;
    let stop = Shutdown::new();
    let dev = gateway(&s, config(), None, stop.clone()).await;
    let prod = gateway(
        &s,
        GatewayConfig {
            production: true,
            ..config()
        },
        None,
        stop.clone(),
    )
    .await;

    let r = Client::new(dev.addr).gql(INTROSPECTION, json!({})).await;
    assert!(r.get("errors").is_none(), "{r}");
    let types = r["data"]["__schema"]["types"].as_array().expect("types");
    assert!(types.iter().any(|t| t["name"] == "PaymentStream"));
    // The same nesting in a user query is still refused.
    let deep = Client::new(dev.addr)
        .gql("{ jobs { nodes { provider { jobs { provider { jobs { provider { jobs { provider { jobs { provider { address } } } } } } } } } } } }", json!({}))
        .await;
    assert_eq!(code(&deep), "QUERY_TOO_DEEP", "{deep}");
    // Introspection lists nested past graphql-js's MaxIntrospectionDepthRule.
    let lists = Client::new(dev.addr)
        .gql("{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }", json!({}))
        .await;
    assert_eq!(code(&lists), "QUERY_TOO_DEEP", "{lists}");

    let r = Client::new(prod.addr).gql(INTROSPECTION, json!({})).await;
    assert!(
        r.get("errors").is_some(),
        "no introspection in production: {r}"
    );

    stop.trigger();
    let _ = dev.task.await;
    let _ = prod.task.await;
    s.db.drop_now().await;
}
