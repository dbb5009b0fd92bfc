use std::fmt;
use std::str::FromStr;

use computestream_domain::AccountAddress;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::events::{
    MeteringTick, ProviderHeartbeat, SettlementConfirmed, SettlementFailed, SettlementSubmitted,
    VoucherReceived,
};
use crate::{upcast, Event, EventId, EventKind, SchemaError};

/// Who produced an event. On the wire a short string: `chain:{chain_id}`,
/// `executor:{provider}`, `settler:{address}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    Chain { chain_id: u8 },
    Executor { provider: AccountAddress },
    Settler { settler: AccountAddress },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Chain { chain_id } => write!(f, "chain:{chain_id}"),
            Source::Executor { provider } => write!(f, "executor:{}", provider.to_long_string()),
            Source::Settler { settler } => write!(f, "settler:{}", settler.to_long_string()),
        }
    }
}

impl FromStr for Source {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (tag, rest) = s
            .split_once(':')
            .ok_or_else(|| format!("source {s:?} has no ':'"))?;
        let addr = || {
            rest.parse::<AccountAddress>()
                .map_err(|e| format!("source {s:?}: {e}"))
        };
        match tag {
            "chain" => rest
                .parse()
                .map(|chain_id| Source::Chain { chain_id })
                .map_err(|e| format!("source {s:?}: {e}")),
            "executor" => Ok(Source::Executor { provider: addr()? }),
            "settler" => Ok(Source::Settler { settler: addr()? }),
            _ => Err(format!("unknown source kind in {s:?}")),
        }
    }
}

impl Serialize for Source {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Source {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Source".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^(chain:[0-9]{1,3}|executor:0x[0-9a-f]{64}|settler:0x[0-9a-f]{64})$",
            "description": "Producer of the event: chain:{chain_id}, executor:{provider} or settler:{address}."
        })
    }
}

/// The record every topic carries: identity, provenance and position around one typed
/// [`Event`].
///
/// The wire form is JSON (see `schemas/json/envelope.json`):
/// `{id, kind, schema_version, source, chain_version, stream_second, occurred_at_ms,
/// aggregate_key, payload}`. Reading goes through [`Envelope::from_json`], which upcasts
/// payloads written by older versions and refuses unknown kinds and future versions with a
/// [`SchemaError`] (consumers dead-letter those).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub id: EventId,
    /// The payload's schema version as written; after [`Envelope::from_json`] the payload has
    /// been upcast to the current version whatever this says.
    pub schema_version: u16,
    pub source: Source,
    /// Transaction version, for chain events.
    pub chain_version: Option<u64>,
    /// Second of the stream, for metering ticks and vouchers.
    pub stream_second: Option<u64>,
    /// When it happened: block timestamp for chain events, wall clock otherwise (unix ms).
    pub occurred_at_ms: u64,
    pub aggregate_key: String,
    pub event: Event,
}

/// The JSON wire form of [`Envelope`], with the payload left as JSON until its kind and
/// version are known.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(title = "ComputeStream event envelope")]
pub(crate) struct WireEnvelope {
    /// Event identity; consumers are idempotent on it.
    pub id: EventId,
    /// Event kind, e.g. `job_created`; selects the payload schema.
    pub kind: String,
    /// Payload schema version; `schemas/json/events/{kind}.v{schema_version}.json`.
    pub schema_version: u16,
    pub source: Source,
    pub chain_version: Option<u64>,
    pub stream_second: Option<u64>,
    pub occurred_at_ms: u64,
    /// Kafka message key.
    pub aggregate_key: String,
    pub payload: serde_json::Value,
}

/// The wire form as read: the payload stays raw JSON text until its kind and version are
/// known, then a current-version payload is read straight into its type and only an older
/// one goes through a `Value` to be upcast.
#[derive(Deserialize)]
struct ReadEnvelope<'a> {
    id: EventId,
    #[serde(borrow)]
    kind: std::borrow::Cow<'a, str>,
    schema_version: u16,
    source: Source,
    chain_version: Option<u64>,
    stream_second: Option<u64>,
    occurred_at_ms: u64,
    aggregate_key: String,
    #[serde(borrow)]
    payload: &'a serde_json::value::RawValue,
}

impl Envelope {
    /// A chain event at `(version, event_index)`.
    pub fn chain(
        chain_id: u8,
        version: u64,
        event_index: u32,
        occurred_at_ms: u64,
        event: impl Into<Event>,
    ) -> Self {
        Self::new(
            EventId::chain(version, event_index),
            Source::Chain { chain_id },
            Some(version),
            None,
            occurred_at_ms,
            event.into(),
        )
    }

    pub fn metering_tick(tick: MeteringTick) -> Self {
        let r = tick.record.record;
        Self::new(
            EventId::tick(r.stream_id, r.second),
            Source::Executor {
                provider: r.provider,
            },
            None,
            Some(r.second),
            r.observed_at_ms,
            tick.into(),
        )
    }

    pub fn voucher(provider: AccountAddress, received_at_ms: u64, v: VoucherReceived) -> Self {
        let inner = v.voucher.voucher;
        Self::new(
            EventId::voucher(inner.stream_id, inner.cumulative_amount),
            Source::Executor { provider },
            None,
            Some(v.second),
            received_at_ms,
            v.into(),
        )
    }

    pub fn heartbeat(h: ProviderHeartbeat) -> Self {
        Self::new(
            EventId::heartbeat(&h.provider, h.at_ms / 1000),
            Source::Executor {
                provider: h.provider,
            },
            None,
            None,
            h.at_ms,
            h.into(),
        )
    }

    pub fn settlement_submitted(at_ms: u64, s: SettlementSubmitted) -> Self {
        let id = EventId::settlement(&s.batch_id, "submitted");
        let settler = s.settler;
        Self::new(id, Source::Settler { settler }, None, None, at_ms, s.into())
    }

    pub fn settlement_confirmed(
        settler: AccountAddress,
        at_ms: u64,
        s: SettlementConfirmed,
    ) -> Self {
        let id = EventId::settlement(&s.batch_id, "confirmed");
        let version = s.version;
        Self::new(
            id,
            Source::Settler { settler },
            Some(version),
            None,
            at_ms,
            s.into(),
        )
    }

    pub fn settlement_failed(settler: AccountAddress, at_ms: u64, s: SettlementFailed) -> Self {
        let id = EventId::settlement(&s.batch_id, "failed");
        Self::new(id, Source::Settler { settler }, None, None, at_ms, s.into())
    }

    fn new(
        id: EventId,
        source: Source,
        chain_version: Option<u64>,
        stream_second: Option<u64>,
        occurred_at_ms: u64,
        event: Event,
    ) -> Self {
        Envelope {
            aggregate_key: event.aggregate_key(),
            schema_version: event.kind().current_version(),
            id,
            source,
            chain_version,
            stream_second,
            occurred_at_ms,
            event,
        }
    }

    pub fn kind(&self) -> EventKind {
        self.event.kind()
    }

    /// The JSON bytes written to the log.
    pub fn to_json(&self) -> Vec<u8> {
        let wire = WireEnvelope {
            id: self.id.clone(),
            kind: self.kind().as_str().to_owned(),
            schema_version: self.kind().current_version(),
            source: self.source,
            chain_version: self.chain_version,
            stream_second: self.stream_second,
            occurred_at_ms: self.occurred_at_ms,
            aggregate_key: self.aggregate_key.clone(),
            payload: self.event.to_value(),
        };
        // A struct of strings, integers and a JSON value always serializes.
        serde_json::to_vec(&wire).unwrap_or_default()
    }

    /// Reads a record from the log, upcasting older payload versions.
    pub fn from_json(bytes: &[u8]) -> Result<Envelope, SchemaError> {
        let wire: ReadEnvelope<'_> =
            serde_json::from_slice(bytes).map_err(|e| SchemaError::Malformed(e.to_string()))?;
        let kind = EventKind::parse(&wire.kind)
            .ok_or_else(|| SchemaError::UnknownKind(wire.kind.to_string()))?;
        let bad_payload = |e: serde_json::Error| SchemaError::BadPayload {
            kind: wire.kind.to_string(),
            version: wire.schema_version,
            reason: e.to_string(),
        };
        let event = if wire.schema_version == kind.current_version() {
            Event::from_json_str(kind, wire.payload.get()).map_err(bad_payload)?
        } else {
            let value: serde_json::Value =
                serde_json::from_str(wire.payload.get()).map_err(bad_payload)?;
            let payload = upcast::to_current(kind, wire.schema_version, value)?;
            Event::from_value(kind, payload).map_err(bad_payload)?
        };
        Ok(Envelope {
            id: wire.id,
            schema_version: wire.schema_version,
            source: wire.source,
            chain_version: wire.chain_version,
            stream_second: wire.stream_second,
            occurred_at_ms: wire.occurred_at_ms,
            aggregate_key: wire.aggregate_key,
            event,
        })
    }
}
