//! `/graphql/ws`: `graphql-transport-ws`, implemented here to the letter of the protocol
//! document ([`connection`]), with shared subscription executions ([`fanout`]), small
//! socket buffers, a message size cap and a cap on connections per client address.

pub mod close;
pub mod connection;
pub mod fanout;
pub mod message;

use crate::client_addr::ClientAddr;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

use crate::app_state::{bearer, AppState};
use computestream_runtime::http_listener::ConnectionSlot;
pub use connection::{Peer, WsContext, WsLimits};

/// Socket buffer sizes: small, so an idle subscriber costs little (tungstenite's defaults
/// are 128 KiB each way); larger messages still pass, in more reads.
const READ_BUFFER_BYTES: usize = 4 * 1024;
const WRITE_BUFFER_BYTES: usize = 4 * 1024;

/// The WebSocket endpoint.
pub async fn endpoint(
    State(st): State<AppState>,
    ClientAddr(client): ClientAddr,
    Extension(slot): Extension<ConnectionSlot>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(permit) = st.ws_clients.try_acquire(client) else {
        metrics::counter!("computestream_gateway_ws_refused_total", "reason" => "per_client_cap")
            .increment(1);
        let body = Json(serde_json::json!({"error": {"code": "TOO_MANY_CONNECTIONS",
            "message": "this client address holds the most WebSocket connections allowed"}}));
        return (StatusCode::TOO_MANY_REQUESTS, body).into_response();
    };
    let ctx = st.ws.clone();
    let peer = Peer {
        ip: client,
        token: bearer(&headers),
    };
    upgrade
        .protocols(["graphql-transport-ws"])
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_write_buffer_size(st.ws_max_message_bytes.saturating_mul(4))
        .max_message_size(st.ws_max_message_bytes)
        .max_frame_size(st.ws_max_message_bytes)
        .on_upgrade(move |socket| async move {
            metrics::gauge!("computestream_gateway_ws_connections").increment(1.0);
            connection::serve(socket, ctx, peer).await;
            metrics::gauge!("computestream_gateway_ws_connections").decrement(1.0);
            drop(permit);
            drop(slot);
        })
}
