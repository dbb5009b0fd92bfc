//! Every domain event ComputeStream records, with its kind name and current schema version.
//!
//! On-chain events are decoded by the indexer from the Move package's `#[event]` structs
//! (`move/sources/*.move`); off-chain events are produced by executors (metering ticks,
//! heartbeats), buyers through the executor's x402 endpoint (vouchers) and settlers
//! (settlement lifecycle).

mod chain;
mod offchain;

pub use chain::*;
pub use offchain::*;

use serde::{Deserialize, Serialize};

/// Where events of a kind come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Decoded from a committed transaction by the indexer.
    Chain,
    /// Produced by a ComputeStream service or a buyer, off chain.
    OffChain,
}

macro_rules! event_registry {
    ($( $variant:ident => $kind:literal, version $version:literal, $origin:ident; )*) => {
        /// One domain event: the typed payload of an [`crate::Envelope`].
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Event {
            $( $variant($variant), )*
        }

        /// The kind of an [`Event`], named on the wire by [`EventKind::as_str`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventKind {
            $( $variant, )*
        }

        impl EventKind {
            pub const ALL: &'static [EventKind] = &[$( EventKind::$variant, )*];

            /// The wire name, e.g. `job_created`.
            pub fn as_str(self) -> &'static str {
                match self { $( EventKind::$variant => $kind, )* }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $( $kind => Some(EventKind::$variant), )* _ => None }
            }

            /// The schema version this build writes; older versions are upcast on read.
            pub fn current_version(self) -> u16 {
                match self { $( EventKind::$variant => $version, )* }
            }

            pub fn origin(self) -> Origin {
                match self { $( EventKind::$variant => Origin::$origin, )* }
            }
        }

        impl Event {
            pub fn kind(&self) -> EventKind {
                match self { $( Event::$variant(_) => EventKind::$variant, )* }
            }

            /// The payload as JSON (current schema version).
            pub fn to_value(&self) -> serde_json::Value {
                let v = match self { $( Event::$variant(p) => serde_json::to_value(p), )* };
                // Serializing these plain structs cannot fail (no maps with non-string keys).
                v.unwrap_or(serde_json::Value::Null)
            }

            /// Reads a current-version payload of `kind`.
            pub fn from_value(kind: EventKind, v: serde_json::Value) -> Result<Event, serde_json::Error> {
                Ok(match kind { $( EventKind::$variant => Event::$variant(serde_json::from_value(v)?), )* })
            }

            /// Reads a current-version payload of `kind` straight from its JSON text (no
            /// intermediate `Value`: the projector's and the gateway's hot path).
            pub fn from_json_str(kind: EventKind, json: &str) -> Result<Event, serde_json::Error> {
                Ok(match kind { $( EventKind::$variant => Event::$variant(serde_json::from_str(json)?), )* })
            }
        }

        $(
            impl From<$variant> for Event {
                fn from(p: $variant) -> Event { Event::$variant(p) }
            }
        )*

        /// `(file name, JSON Schema)` of every event payload at its current version.
        pub(crate) fn payload_schemas() -> Vec<(String, schemars::Schema)> {
            vec![$( (format!("{}.v{}.json", $kind, $version), schemars::schema_for!($variant)), )*]
        }
    };
}

event_registry! {
    // On chain: provider_registry
    ProviderRegistered => "provider_registered", version 1, Chain;
    ProviderPriceUpdated => "provider_price_updated", version 1, Chain;
    ProviderAvailabilityUpdated => "provider_availability_updated", version 1, Chain;
    ProviderStaked => "provider_staked", version 1, Chain;
    ProviderUnstaked => "provider_unstaked", version 1, Chain;
    // On chain: job_registry
    JobCreated => "job_created", version 1, Chain;
    JobStatusChanged => "job_status_changed", version 1, Chain;
    JobEvidenceCommitted => "job_evidence_committed", version 1, Chain;
    // On chain: escrow
    EscrowDeposited => "escrow_deposited", version 1, Chain;
    EscrowReleased => "escrow_released", version 1, Chain;
    EscrowRefunded => "escrow_refunded", version 1, Chain;
    // On chain: payment_stream
    StreamOpened => "stream_opened", version 1, Chain;
    StreamSettled => "stream_settled", version 1, Chain;
    StreamClosed => "stream_closed", version 1, Chain;
    VoucherRejected => "voucher_rejected", version 1, Chain;
    EscrowCoinMoved => "escrow_coin_moved", version 1, Chain;
    // Off chain
    MeteringTick => "metering_tick", version 1, OffChain;
    VoucherReceived => "voucher_received", version 1, OffChain;
    ProviderHeartbeat => "provider_heartbeat", version 3, OffChain;
    SettlementSubmitted => "settlement_submitted", version 1, OffChain;
    SettlementConfirmed => "settlement_confirmed", version 1, OffChain;
    SettlementFailed => "settlement_failed", version 1, OffChain;
}

impl Event {
    /// The Kafka key: every event of one job (its escrow and stream included) shares a key,
    /// and so does every event of one provider, so per-aggregate order holds.
    pub fn aggregate_key(&self) -> String {
        match self {
            Event::ProviderRegistered(e) => provider_key(&e.provider),
            Event::ProviderPriceUpdated(e) => provider_key(&e.provider),
            Event::ProviderAvailabilityUpdated(e) => provider_key(&e.provider),
            Event::ProviderStaked(e) => provider_key(&e.provider),
            Event::ProviderUnstaked(e) => provider_key(&e.provider),
            Event::ProviderHeartbeat(e) => provider_key(&e.provider),
            Event::JobCreated(e) => job_key(e.job_id),
            Event::JobStatusChanged(e) => job_key(e.job_id),
            Event::JobEvidenceCommitted(e) => job_key(e.job_id),
            Event::EscrowDeposited(e) => job_key(e.job_id),
            Event::EscrowReleased(e) => job_key(e.job_id),
            Event::EscrowRefunded(e) => job_key(e.job_id),
            Event::StreamOpened(e) => job_key(e.stream_id),
            Event::StreamSettled(e) => job_key(e.stream_id),
            Event::StreamClosed(e) => job_key(e.stream_id),
            Event::VoucherRejected(e) => job_key(e.stream_id),
            Event::EscrowCoinMoved(e) => job_key(e.job_id),
            Event::MeteringTick(e) => job_key(e.record.record.stream_id),
            Event::VoucherReceived(e) => job_key(e.voucher.voucher.stream_id),
            Event::SettlementSubmitted(e) => batch_key(&e.batch_id),
            Event::SettlementConfirmed(e) => batch_key(&e.batch_id),
            Event::SettlementFailed(e) => batch_key(&e.batch_id),
        }
    }
}

fn provider_key(a: &computestream_domain::AccountAddress) -> String {
    format!("provider:{}", a.to_long_string())
}

/// The Kafka key of every event of job `job_id` (its escrow, its stream, its metering
/// records and vouchers): a stream's id is its job's id, so they share one partition per
/// topic ([`crate::topics::partition_for`]).
pub fn job_key(job_id: u64) -> String {
    format!("job:{job_id}")
}

fn batch_key(batch_id: &str) -> String {
    format!("batch:{batch_id}")
}
