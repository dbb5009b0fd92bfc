//! What the event log's integration tests write.

use computestream_domain::AccountAddress;
use computestream_schemas::events::ProviderHeartbeat;
use computestream_schemas::Envelope;

/// A heartbeat of one fixed provider at `at_ms`: every call's record goes to the same
/// partition of the metering topic.
pub fn heartbeat(at_ms: u64) -> Envelope {
    Envelope::heartbeat(ProviderHeartbeat {
        provider: AccountAddress::new([0x42; 32]),
        at_ms,
        available: true,
        running_jobs: 0,
        endpoint: None,
    })
}
