//! One `graphql-transport-ws` connection, as the protocol document says (graphql-ws
//! `PROTOCOL.md`): `connection_init` within the init timeout (else 4408), exactly once
//! (else 4429), refused with 4403 when it names a session that is not valid; `subscribe`
//! only after `connection_ack` (else 4401), with an id not in use (else 4409); any other
//! message shape closes with 4400; `ping` is answered with `pong` at any time, and the
//! server pings on its own every keep-alive interval; `complete` from the client stops an
//! operation, from the server ends one; an `error` ends one with no `complete`.
//!
//! Beyond the document, bounded state: at most `ws_max_subscriptions` operations per
//! connection (more are refused with `error`, code `TOO_MANY_SUBSCRIPTIONS`), messages of
//! at most `ws_max_message_bytes` (else 1009), and subscriptions share executions
//! ([`super::fanout`]).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use computestream_domain::AccountAddress;
use futures::stream::BoxStream;
use futures::StreamExt;
use serde_json::{Map, Value};
use tokio_stream::StreamMap;

use super::close::Close;
use super::fanout::{Fanout, ShareKey, Shared};
use super::message::{self, ClientMessage, SubscribePayload};
use crate::auth::{Sessions, SignedIn};
use crate::limits::ClientIp;
use crate::operations::Operations;

/// The limits of one connection.
#[derive(Debug, Clone, Copy)]
pub struct WsLimits {
    pub init_timeout: Duration,
    /// `None`: no server pings.
    pub keepalive: Option<Duration>,
    pub max_subscriptions: usize,
}

/// What a connection needs from the gateway.
#[derive(Debug, Clone)]
pub struct WsContext {
    pub operations: Operations,
    pub fanout: Fanout,
    pub sessions: Arc<Sessions>,
    pub limits: WsLimits,
}

/// The upgrade request's facts.
#[derive(Debug, Clone)]
pub struct Peer {
    pub ip: IpAddr,
    /// `Authorization: Bearer` of the upgrade request.
    pub token: Option<String>,
}

enum Step {
    Go,
    Close(Close),
    Gone,
}

struct Connection {
    ctx: WsContext,
    peer: Peer,
    acked: bool,
    caller: Option<AccountAddress>,
    ops: StreamMap<String, BoxStream<'static, Shared>>,
}

async fn send(ws: &mut WebSocket, text: String) -> Step {
    match ws.send(Message::Text(text.into())).await {
        Ok(()) => Step::Go,
        Err(_) => Step::Gone,
    }
}

fn token_of(payload: Option<&Map<String, Value>>) -> Option<String> {
    let p = payload?;
    let v = ["authorization", "Authorization", "token"]
        .iter()
        .find_map(|k| p.get(*k)?.as_str())?;
    Some(v.strip_prefix("Bearer ").unwrap_or(v).trim().to_owned())
}

fn refusal(code: &str, message: String) -> String {
    serde_json::json!([{"message": message, "extensions": {"code": code}}]).to_string()
}

/// Whether a receive error is a message over the size cap.
fn too_big(e: &axum::Error) -> bool {
    let inner: &(dyn std::error::Error + 'static) = e;
    let mut cur = Some(inner);
    while let Some(err) = cur {
        if let Some(t) = err.downcast_ref::<tungstenite::Error>() {
            return matches!(t, tungstenite::Error::Capacity(_));
        }
        cur = err.source();
    }
    false
}

impl Connection {
    async fn on_message(&mut self, ws: &mut WebSocket, m: ClientMessage) -> Step {
        match m {
            ClientMessage::ConnectionInit { payload } => {
                if self.acked {
                    return Step::Close(Close::TooManyInit);
                }
                if let Some(t) = token_of(payload.as_ref()).or_else(|| self.peer.token.clone()) {
                    match self.ctx.sessions.who(&t) {
                        Some(a) => self.caller = Some(a),
                        None => return Step::Close(Close::Forbidden),
                    }
                }
                // Acknowledged before the ack is sent (graphql-ws sets it first too).
                self.acked = true;
                send(ws, message::ack()).await
            }
            ClientMessage::Ping { payload } => {
                send(ws, message::ping_pong("pong", payload.as_ref())).await
            }
            ClientMessage::Pong => Step::Go,
            ClientMessage::Complete { id } => {
                // Unknown or finished ids are ignored, as the document allows.
                self.ops.remove(&id);
                Step::Go
            }
            ClientMessage::Subscribe { id, payload } => {
                if !self.acked {
                    return Step::Close(Close::Unauthorized);
                }
                if self.ops.contains_key(&id) {
                    return Step::Close(Close::DuplicateId(id));
                }
                if self.ops.len() >= self.ctx.limits.max_subscriptions {
                    metrics::counter!("computestream_gateway_subscriptions_refused_total", "reason" => "per_connection_cap").increment(1);
                    let e = refusal(
                        "TOO_MANY_SUBSCRIPTIONS",
                        format!(
                            "this connection already runs {} operations, the limit",
                            self.ctx.limits.max_subscriptions
                        ),
                    );
                    return send(ws, message::error(&id, &e)).await;
                }
                self.start(ws, id, payload).await
            }
        }
    }

    async fn start(&mut self, ws: &mut WebSocket, id: String, p: SubscribePayload) -> Step {
        let key = ShareKey {
            query: p.query.clone(),
            operation_name: p.operation_name.clone(),
            variables: p
                .variables
                .as_ref()
                .map(|v| Value::Object(v.clone()).to_string())
                .unwrap_or_default(),
            extensions: p
                .extensions
                .as_ref()
                .map(|v| Value::Object(v.clone()).to_string())
                .unwrap_or_default(),
            caller: self.caller,
        };
        let mut req = async_graphql::Request::new(p.query);
        if let Some(n) = p.operation_name {
            req = req.operation_name(n);
        }
        if let Some(v) = p.variables {
            req = req.variables(async_graphql::Variables::from_json(Value::Object(v)));
        }
        for (k, v) in p.extensions.unwrap_or_default() {
            if let Ok(v) = async_graphql::Value::from_json(v) {
                req.extensions.insert(k, v);
            }
        }
        let req = req.data(SignedIn(self.caller)).data(ClientIp(self.peer.ip));
        let prepared = match self.ctx.operations.prepare(req) {
            Ok(p) => p,
            Err(errors) => {
                let e = serde_json::to_string(&errors).unwrap_or_else(|_| "[]".into());
                return send(ws, message::error(&id, &e)).await;
            }
        };
        let ops = self.ctx.operations.clone();
        let stream = if prepared.is_subscription() {
            self.ctx
                .fanout
                .join(key, move || ops.execute_stream(prepared))
                .into_stream()
        } else {
            // A query or mutation: one result, not shared (mutations act once per call).
            ops.execute_stream(prepared)
                .map(|r| match serde_json::to_string(&r) {
                    Ok(t) => Shared::Next(t.into()),
                    Err(_) => Shared::Error(
                        refusal("INTERNAL", "the result could not be serialised".into()).into(),
                    ),
                })
                .chain(futures::stream::once(async { Shared::Complete }))
                .boxed()
        };
        self.ops.insert(id, stream);
        Step::Go
    }

    async fn on_result(&mut self, ws: &mut WebSocket, id: String, s: Shared) -> Step {
        match s {
            Shared::Next(p) => send(ws, message::next(&id, &p)).await,
            Shared::Error(e) => {
                self.ops.remove(&id);
                send(ws, message::error(&id, &e)).await
            }
            Shared::Complete => {
                self.ops.remove(&id);
                send(ws, message::complete(&id)).await
            }
        }
    }
}

/// Serves one upgraded socket until either side ends it.
pub async fn serve(mut ws: WebSocket, ctx: WsContext, peer: Peer) {
    if ws.protocol().and_then(|p| p.to_str().ok()) != Some("graphql-transport-ws") {
        close(&mut ws, Close::SubprotocolNotAcceptable).await;
        return;
    }
    let limits = ctx.limits;
    let mut c = Connection {
        ctx,
        peer,
        acked: false,
        caller: None,
        ops: StreamMap::new(),
    };
    let init_deadline = tokio::time::sleep(limits.init_timeout);
    tokio::pin!(init_deadline);
    let period = limits.keepalive.unwrap_or(Duration::from_secs(3600));
    let mut keepalive = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        let step = tokio::select! {
            _ = &mut init_deadline, if !c.acked => Step::Close(Close::InitTimeout),
            _ = keepalive.tick(), if limits.keepalive.is_some() => {
                send(&mut ws, message::ping_pong("ping", None)).await
            }
            Some((id, s)) = c.ops.next(), if !c.ops.is_empty() => c.on_result(&mut ws, id, s).await,
            m = ws.recv() => match m {
                None => Step::Gone,
                Some(Err(e)) if too_big(&e) => Step::Close(Close::TooBig),
                Some(Err(_)) => Step::Gone,
                Some(Ok(Message::Text(t))) => match message::parse(t.as_bytes()) {
                    Ok(m) => c.on_message(&mut ws, m).await,
                    Err(why) => Step::Close(Close::BadRequest(why)),
                },
                Some(Ok(Message::Binary(b))) => match message::parse(&b) {
                    Ok(m) => c.on_message(&mut ws, m).await,
                    Err(why) => Step::Close(Close::BadRequest(why)),
                },
                Some(Ok(Message::Close(_))) => Step::Gone,
                // WebSocket-level pings are answered by the socket itself.
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => Step::Go,
            },
        };
        match step {
            Step::Go => {}
            Step::Gone => return,
            Step::Close(why) => {
                close(&mut ws, why).await;
                return;
            }
        }
    }
}

async fn close(ws: &mut WebSocket, why: Close) {
    metrics::counter!("computestream_gateway_ws_closed_total", "code" => why.code().to_string())
        .increment(1);
    let _ = ws
        .send(Message::Close(Some(CloseFrame {
            code: why.code(),
            reason: why.reason().into(),
        })))
        .await;
}
