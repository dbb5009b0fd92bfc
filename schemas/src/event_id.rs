use std::fmt;

use computestream_domain::{AccountAddress, Octas};
use serde::{Deserialize, Serialize};

/// The identity of an event; every consumer is idempotent on it.
///
/// - chain events: `chain:{version}:{event_index}` — v2 module events carry a zero GUID, so
///   the transaction version and the event's index in it are the identity;
/// - metering ticks: `tick:{stream}:{second}`;
/// - vouchers: `voucher:{stream}:{cumulative_amount}` — a cumulative voucher's position in
///   its stream is its amount (two vouchers for the same second differ in amount);
/// - heartbeats: `heartbeat:{provider}:{unix_second}`;
/// - settlements: `settlement:{batch_id}:{phase}`.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(transparent)]
pub struct EventId(String);

impl EventId {
    pub fn chain(version: u64, event_index: u32) -> Self {
        EventId(format!("chain:{version}:{event_index}"))
    }

    pub fn tick(stream_id: u64, second: u64) -> Self {
        EventId(format!("tick:{stream_id}:{second}"))
    }

    pub fn voucher(stream_id: u64, cumulative: Octas) -> Self {
        EventId(format!("voucher:{stream_id}:{cumulative}"))
    }

    pub fn heartbeat(provider: &AccountAddress, unix_second: u64) -> Self {
        EventId(format!(
            "heartbeat:{}:{unix_second}",
            provider.to_long_string()
        ))
    }

    pub fn settlement(batch_id: &str, phase: &str) -> Self {
        EventId(format!("settlement:{batch_id}:{phase}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `(version, event_index)` for a chain event id.
    pub fn chain_position(&self) -> Option<(u64, u32)> {
        Self::chain_position_of(&self.0)
    }

    /// [`EventId::chain_position`] of an id string.
    pub fn chain_position_of(id: &str) -> Option<(u64, u32)> {
        let rest = id.strip_prefix("chain:")?;
        let (v, i) = rest.split_once(':')?;
        Some((v.parse().ok()?, i.parse().ok()?))
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
