//! Schema versions and the upcasters that lift old payloads to the current version.
//!
//! The log keeps events forever, so a consumer must read every version ever written. Each
//! kind has a current version ([`crate::EventKind::current_version`]); a payload written at an
//! older version is lifted one step at a time by the functions registered in [`step`], until
//! it is current, and only then deserialized into the typed event. Changing an event's
//! payload means: bump its version in the registry, add the step `(kind, old) -> old + 1`
//! here with a test, and regenerate `schemas/json/` (the old version's schema file stays).
//!
//! History:
//! - `provider_heartbeat` v1 -> v2: v2 added `running_jobs` (v1 writers did not count; 0).
//! - `provider_heartbeat` v2 -> v3: v3 added `endpoint` (v2 writers announced none; null).

use serde_json::Value;

use crate::{EventKind, SchemaError};

/// Lifts `payload` of `kind` written at `version` to the current version.
pub fn to_current(kind: EventKind, version: u16, mut payload: Value) -> Result<Value, SchemaError> {
    let current = kind.current_version();
    if version > current {
        return Err(SchemaError::FutureVersion {
            kind: kind.as_str().to_owned(),
            version,
            max: current,
        });
    }
    let mut v = version;
    while v < current {
        payload = step(kind, v, payload)?;
        v += 1;
    }
    Ok(payload)
}

/// One upcast step: `kind` at `from` to `from + 1`.
fn step(kind: EventKind, from: u16, payload: Value) -> Result<Value, SchemaError> {
    match (kind, from) {
        (EventKind::ProviderHeartbeat, 1) => heartbeat_v1_to_v2(payload),
        (EventKind::ProviderHeartbeat, 2) => heartbeat_v2_to_v3(payload),
        _ => Err(SchemaError::NoUpcaster {
            kind: kind.as_str().to_owned(),
            version: from,
        }),
    }
}

fn heartbeat_v1_to_v2(mut payload: Value) -> Result<Value, SchemaError> {
    object_of(&mut payload, EventKind::ProviderHeartbeat, 1)?
        .entry("running_jobs")
        .or_insert(Value::from(0u32));
    Ok(payload)
}

fn heartbeat_v2_to_v3(mut payload: Value) -> Result<Value, SchemaError> {
    object_of(&mut payload, EventKind::ProviderHeartbeat, 2)?
        .entry("endpoint")
        .or_insert(Value::Null);
    Ok(payload)
}

fn object_of(
    payload: &mut Value,
    kind: EventKind,
    version: u16,
) -> Result<&mut serde_json::Map<String, Value>, SchemaError> {
    payload
        .as_object_mut()
        .ok_or_else(|| SchemaError::BadPayload {
            kind: kind.as_str().to_owned(),
            version,
            reason: "payload is not an object".to_owned(),
        })
}
