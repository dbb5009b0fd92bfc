//! The messages of `graphql-transport-ws` (graphql-ws `PROTOCOL.md`): what a client may
//! send, checked as the reference server checks them (`validateMessage` in graphql-ws
//! `common.ts`: an object with a known `type`, `id` a non-empty string, `payload` of the
//! type each message allows), and the server's frames, written around payloads that were
//! serialised once (a shared `next` payload keeps each subscriber's own `id`).

use serde_json::{Map, Value};

/// A message a client may send. `next`, `error` and `connection_ack` are the server's
/// only: a client sending them is refused like any unknown type.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientMessage {
    ConnectionInit {
        payload: Option<Map<String, Value>>,
    },
    Ping {
        payload: Option<Map<String, Value>>,
    },
    Pong,
    Subscribe {
        id: String,
        payload: SubscribePayload,
    },
    Complete {
        id: String,
    },
}

/// The operation a `subscribe` starts.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscribePayload {
    pub query: String,
    pub operation_name: Option<String>,
    pub variables: Option<Map<String, Value>>,
    pub extensions: Option<Map<String, Value>>,
}

/// Why a message was refused (the 4400 close reason).
pub type Invalid = String;

fn optional_object(
    m: &mut Map<String, Value>,
    key: &str,
    what: &str,
) -> Result<Option<Map<String, Value>>, Invalid> {
    match m.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(format!(
            "\"{what}\" message expects the '{key}' property to be an object or nullish"
        )),
    }
}

fn id_of(m: &mut Map<String, Value>, what: &str) -> Result<String, Invalid> {
    match m.remove("id") {
        Some(Value::String(id)) if !id.is_empty() => Ok(id),
        _ => Err(format!(
            "\"{what}\" message requires a non-empty 'id' property"
        )),
    }
}

/// Reads one text (or binary) frame as a client message.
pub fn parse(bytes: &[u8]) -> Result<ClientMessage, Invalid> {
    let Ok(Value::Object(mut m)) = serde_json::from_slice::<Value>(bytes) else {
        return Err("Invalid message received".into());
    };
    let kind = match m.remove("type") {
        Some(Value::String(t)) => t,
        _ => return Err("Message is missing the 'type' property".into()),
    };
    match kind.as_str() {
        "connection_init" => Ok(ClientMessage::ConnectionInit {
            payload: optional_object(&mut m, "payload", &kind)?,
        }),
        "ping" => Ok(ClientMessage::Ping {
            payload: optional_object(&mut m, "payload", &kind)?,
        }),
        "pong" => {
            optional_object(&mut m, "payload", &kind)?;
            Ok(ClientMessage::Pong)
        }
        "complete" => Ok(ClientMessage::Complete {
            id: id_of(&mut m, &kind)?,
        }),
        "subscribe" => {
            let id = id_of(&mut m, &kind)?;
            let Some(Value::Object(mut p)) = m.remove("payload") else {
                return Err(
                    "\"subscribe\" message expects the 'payload' property to be an object".into(),
                );
            };
            let query =
                match p.remove("query") {
                    Some(Value::String(q)) => q,
                    _ => return Err(
                        "\"subscribe\" message payload expects the 'query' property to be a string"
                            .into(),
                    ),
                };
            let operation_name = match p.remove("operationName") {
                None | Some(Value::Null) => None,
                Some(Value::String(n)) => Some(n),
                Some(_) => return Err("\"subscribe\" message payload expects the 'operationName' property to be a string or nullish".into()),
            };
            Ok(ClientMessage::Subscribe {
                id,
                payload: SubscribePayload {
                    query,
                    operation_name,
                    variables: optional_object(&mut p, "variables", &kind)?,
                    extensions: optional_object(&mut p, "extensions", &kind)?,
                },
            })
        }
        other => Err(format!("Unexpected message of type {other} received")),
    }
}

fn quoted(s: &str) -> String {
    // A `String` always serialises.
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// `connection_ack`.
pub fn ack() -> String {
    r#"{"type":"connection_ack"}"#.into()
}

/// `ping` (the server's keep-alive) or the `pong` answering a ping, echoing its payload.
pub fn ping_pong(kind: &str, payload: Option<&Map<String, Value>>) -> String {
    match payload {
        Some(p) => serde_json::json!({"type": kind, "payload": p}).to_string(),
        None => format!(r#"{{"type":"{kind}"}}"#),
    }
}

/// `next` for operation `id`, around an execution result serialised once.
pub fn next(id: &str, payload: &str) -> String {
    let id = quoted(id);
    let mut s = String::with_capacity(id.len() + payload.len() + 32);
    s.push_str(r#"{"id":"#);
    s.push_str(&id);
    s.push_str(r#","type":"next","payload":"#);
    s.push_str(payload);
    s.push('}');
    s
}

/// `error` for operation `id`, around a serialised list of GraphQL errors.
pub fn error(id: &str, errors: &str) -> String {
    format!(
        r#"{{"id":{},"type":"error","payload":{errors}}}"#,
        quoted(id)
    )
}

/// `complete` for operation `id`.
pub fn complete(id: &str) -> String {
    format!(r#"{{"id":{},"type":"complete"}}"#, quoted(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subscribe_is_read_with_its_optional_parts() {
        let m = parse(
            br#"{"type":"subscribe","id":"a","payload":{"query":"{x}","variables":{"j":"1"},"operationName":null}}"#,
        )
        .expect("valid");
        let ClientMessage::Subscribe { id, payload } = m else {
            panic!("subscribe expected")
        };
        assert_eq!(id, "a");
        assert_eq!(payload.query, "{x}");
        assert_eq!(payload.operation_name, None);
        assert_eq!(payload.variables, json!({"j": "1"}).as_object().cloned());
    }

    #[test]
    fn shapes_the_protocol_does_not_define_are_refused() {
        for bad in [
            &b"not json"[..],
            br#"[]"#,
            br#"{"id":"1"}"#,
            br#"{"type":"next","id":"1","payload":{}}"#,
            br#"{"type":"connection_ack"}"#,
            br#"{"type":"subscribe","id":"","payload":{"query":"{x}"}}"#,
            br#"{"type":"subscribe","id":1,"payload":{"query":"{x}"}}"#,
            br#"{"type":"subscribe","id":"1","payload":{"query":7}}"#,
            br#"{"type":"subscribe","id":"1","payload":{"query":"{x}","variables":[]}}"#,
            br#"{"type":"connection_init","payload":"x"}"#,
            br#"{"type":"complete"}"#,
        ] {
            assert!(parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn frames_keep_the_subscribers_id_around_a_shared_payload() {
        let f = next("a\"b", r#"{"data":{"x":1}}"#);
        let v: Value = serde_json::from_str(&f).expect("json");
        assert_eq!(
            v,
            json!({"id": "a\"b", "type": "next", "payload": {"data": {"x": 1}}})
        );
        let v: Value = serde_json::from_str(&complete("7")).expect("json");
        assert_eq!(v, json!({"id": "7", "type": "complete"}));
        let v: Value = serde_json::from_str(&error("7", r#"[{"message":"m"}]"#)).expect("json");
        assert_eq!(v["payload"][0]["message"], "m");
        let p = json!({"t": 1});
        let v: Value = serde_json::from_str(&ping_pong("pong", p.as_object())).expect("json");
        assert_eq!(v, json!({"type": "pong", "payload": {"t": 1}}));
    }
}
