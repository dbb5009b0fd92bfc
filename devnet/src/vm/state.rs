use std::collections::HashMap;

use computestream_domain::AccountAddress;

/// An account: its next sequence number and authentication key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountState {
    pub sequence_number: u64,
    pub authentication_key: [u8; 32],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub gpu_type: String,
    pub vram_gb: u64,
    pub price_per_second: u64,
    pub stake: u64,
    pub is_active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub buyer: AccountAddress,
    pub provider: AccountAddress,
    pub docker_image: String,
    pub max_duration_secs: u64,
    pub escrow_amount: u64,
    pub price_per_second: u64,
    pub status: u8,
    pub created_at: u64,
    pub started_at: u64,
    pub ended_at: u64,
    pub output_url: Option<String>,
    pub output_cid: Option<String>,
}

/// `job_registry::Evidence`: what the provider committed when the job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub metering_head: Vec<u8>,
    pub metered_seconds: u64,
    pub committed_at: u64,
}

/// `escrow::Entry`; `locked` is the coin balance held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscrowEntry {
    pub buyer: AccountAddress,
    pub provider: AccountAddress,
    pub locked: u64,
    pub deposited: u64,
    pub released: u64,
    pub refunded: u64,
    /// Set when the stream closes and the rest is refunded; no deposits after that.
    pub closed: bool,
}

impl EscrowEntry {
    pub fn is_conserved(&self) -> bool {
        u128::from(self.deposited)
            == u128::from(self.released) + u128::from(self.refunded) + u128::from(self.locked)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    pub buyer: AccountAddress,
    pub provider: AccountAddress,
    pub buyer_public_key: Vec<u8>,
    pub rate_per_second: u64,
    pub opened_at: u64,
    pub max_duration_secs: u64,
    pub paid: u64,
    pub closable: bool,
    pub open: bool,
}

/// The whole devnet state the package and the framework subset keep.
#[derive(Debug, Clone)]
pub struct ChainState {
    pub chain_id: u8,
    /// Where the ComputeStream package is published (`@computestream`).
    pub package: AccountAddress,
    /// Block timestamp of the block being executed, microseconds.
    pub now_micros: u64,
    pub accounts: HashMap<AccountAddress, AccountState>,
    /// Native coin balances in octas (primary stores; created on first deposit).
    pub balances: HashMap<AccountAddress, u64>,
    pub providers: HashMap<AccountAddress, Provider>,
    pub provider_order: Vec<AccountAddress>,
    pub jobs: HashMap<u64, Job>,
    /// `job_registry::EvidenceBook`, by job id.
    pub evidence: HashMap<u64, Evidence>,
    pub next_job_id: u64,
    pub escrows: HashMap<u64, EscrowEntry>,
    pub streams: HashMap<u64, Stream>,
    /// Fees burnt so far (octas).
    pub burnt: u64,
}

impl ChainState {
    pub fn new(chain_id: u8, package: AccountAddress) -> Self {
        ChainState {
            chain_id,
            package,
            now_micros: 0,
            accounts: HashMap::new(),
            balances: HashMap::new(),
            providers: HashMap::new(),
            provider_order: Vec::new(),
            jobs: HashMap::new(),
            evidence: HashMap::new(),
            next_job_id: 1,
            escrows: HashMap::new(),
            streams: HashMap::new(),
            burnt: 0,
        }
    }

    pub fn now_seconds(&self) -> u64 {
        self.now_micros / 1_000_000
    }

    pub fn balance(&self, a: &AccountAddress) -> u64 {
        self.balances.get(a).copied().unwrap_or(0)
    }

    /// Creates an account whose authentication key is its address (a fresh single-key
    /// account), if it does not exist.
    pub fn ensure_account(&mut self, a: AccountAddress) {
        self.accounts.entry(a).or_insert(AccountState {
            sequence_number: 0,
            authentication_key: a.0,
        });
    }

    /// Mints `amount` to `a` (genesis and the faucet's funding account only).
    pub fn mint(&mut self, a: AccountAddress, amount: u64) {
        self.ensure_account(a);
        let b = self.balances.entry(a).or_insert(0);
        *b = b.saturating_add(amount);
    }

    /// Total octas in existence: balances + escrows + stakes. Conserved by every
    /// transaction except fee burns and mints.
    pub fn total_supply(&self) -> u128 {
        let balances: u128 = self.balances.values().map(|&b| u128::from(b)).sum();
        let escrow: u128 = self.escrows.values().map(|e| u128::from(e.locked)).sum();
        let stakes: u128 = self.providers.values().map(|p| u128::from(p.stake)).sum();
        balances + escrow + stakes
    }
}
