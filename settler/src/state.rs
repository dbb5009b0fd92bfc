//! The settler's state shared with its facilitator endpoint: the settlement desk (what is
//! redeemable, held and planned, per stream) and the deployment it settles for.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};

use computestream_domain::{AccountAddress, SettlementDesk, VoucherContext};

/// State the settler shares with its facilitator endpoint.
#[derive(Debug)]
pub struct SettlerState {
    desk: Mutex<SettlementDesk>,
    /// Streams one of whose metering records the desk refused (logged once each).
    refused: Mutex<BTreeSet<u64>>,
    pub chain_id: u8,
    pub package: AccountAddress,
}

impl SettlerState {
    /// A fresh desk for the deployment (`chain_id`, `package`), holding at most `held_limit`
    /// messages of streams not opened yet, redeeming vouchers up to `lead_secs` seconds past
    /// those attested.
    pub fn new(
        chain_id: u8,
        package: AccountAddress,
        held_limit: usize,
        lead_secs: u64,
    ) -> Arc<Self> {
        Arc::new(SettlerState {
            desk: Mutex::new(
                SettlementDesk::new(VoucherContext { chain_id, package }, held_limit)
                    .with_lead(lead_secs),
            ),
            refused: Mutex::new(BTreeSet::new()),
            chain_id,
            package,
        })
    }

    /// The desk. A panic while holding it cannot leave money state inconsistent (every
    /// desk method is a pure update that completes or has not started), so a poisoned lock
    /// is taken over.
    pub fn desk(&self) -> MutexGuard<'_, SettlementDesk> {
        self.desk.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records that a metering record of `stream_id` was refused; true the first time.
    pub fn first_refusal(&self, stream_id: u64) -> bool {
        self.refused
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(stream_id)
    }
}
