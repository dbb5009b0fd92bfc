//! The settler's account and the two transactions it sends: `payment_stream::settle_batch`
//! for many streams at once and `payment_stream::close_stream` for one.

use aptos_sdk::aptos_bcs::to_bytes;
use aptos_sdk::transaction::SignedTransaction;
use computestream_chain::Account;
pub use computestream_chain::TxnTerms;
use computestream_domain::{AccountAddress, PlannedRedemption, RedemptionKind};

use crate::SettlerError;

/// Parses the settler's key (64 hex digits).
pub fn parse_seed(hex_seed: &str) -> Result<[u8; 32], SettlerError> {
    computestream_chain::parse_seed(hex_seed)
        .map_err(|e| SettlerError::Config(format!("settler.private_key: {e}")))
}

/// Bytes of a signed `settle_batch` transaction other than its per-stream rows (sender,
/// sequence number, payload header, gas fields, expiry, chain id, authenticator), with room
/// to spare; measured in the unit tests.
pub const SETTLE_BATCH_OVERHEAD_BYTES: usize = 400;
/// Bytes one stream adds to `settle_batch`: its u64 id, its u64 amount, and its 64-byte
/// signature with a one-byte length.
pub const SETTLE_ROW_BYTES: usize = 8 + 8 + 1 + 64;

/// How many streams fit in one `settle_batch` of at most `max_bytes`.
pub fn streams_per_transaction(max_bytes: usize) -> usize {
    // Three vector lengths (ULEB128, at most 3 bytes each below 2^21 items).
    (max_bytes.saturating_sub(SETTLE_BATCH_OVERHEAD_BYTES + 9) / SETTLE_ROW_BYTES).max(1)
}

/// The settler's account.
#[derive(Debug)]
pub struct SettlerAccount {
    inner: Account,
    pub address: AccountAddress,
}

impl SettlerAccount {
    pub fn new(
        seed: [u8; 32],
        chain_id: u8,
        package: AccountAddress,
    ) -> Result<Self, SettlerError> {
        let inner = Account::new(seed, chain_id, package)
            .map_err(|e| SettlerError::Config(format!("settler key: {e}")))?;
        Ok(SettlerAccount {
            address: inner.address,
            inner,
        })
    }

    /// The signed transaction redeeming `items`: one `settle_batch` for settle rows, or one
    /// `close_stream` for a single close.
    pub fn sign(
        &self,
        items: &[PlannedRedemption],
        terms: TxnTerms,
    ) -> Result<SignedTransaction, SettlerError> {
        let bcs = |e: aptos_sdk::aptos_bcs::Error| SettlerError::Build(e.to_string());
        let (function, args) = match items {
            [one] if one.kind == RedemptionKind::Close => {
                let sig = one
                    .voucher
                    .map(|v| v.signature.0.to_vec())
                    .unwrap_or_default();
                (
                    "close_stream",
                    vec![
                        to_bytes(&one.stream_id).map_err(bcs)?,
                        to_bytes(&one.cumulative_amount().get()).map_err(bcs)?,
                        to_bytes(&sig).map_err(bcs)?,
                    ],
                )
            }
            rows => {
                if rows
                    .iter()
                    .any(|r| r.kind != RedemptionKind::Settle || r.voucher.is_none())
                {
                    return Err(SettlerError::Build(
                        "a settle_batch holds settle rows with vouchers only".into(),
                    ));
                }
                let streams: Vec<u64> = rows.iter().map(|r| r.stream_id).collect();
                let amounts: Vec<u64> = rows.iter().map(|r| r.cumulative_amount().get()).collect();
                let sigs: Vec<Vec<u8>> = rows
                    .iter()
                    .filter_map(|r| r.voucher.map(|v| v.signature.0.to_vec()))
                    .collect();
                (
                    "settle_batch",
                    vec![
                        to_bytes(&streams).map_err(bcs)?,
                        to_bytes(&amounts).map_err(bcs)?,
                        to_bytes(&sigs).map_err(bcs)?,
                    ],
                )
            }
        };
        self.inner
            .sign_call("payment_stream", function, args, terms)
            .map_err(|e| SettlerError::Build(e.to_string()))
    }
}

/// Splits a plan into transactions: closes one per transaction, settle rows in batches of
/// at most `per_txn` streams.
pub fn pack(plan: Vec<PlannedRedemption>, per_txn: usize) -> Vec<Vec<PlannedRedemption>> {
    let (closes, settles): (Vec<_>, Vec<_>) = plan
        .into_iter()
        .partition(|p| p.kind == RedemptionKind::Close);
    let mut out: Vec<Vec<PlannedRedemption>> = closes.into_iter().map(|c| vec![c]).collect();
    for chunk in settles.chunks(per_txn.max(1)) {
        out.push(chunk.to_vec());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use computestream_domain::{Octas, SigningKey, Voucher};

    fn row(stream_id: u64) -> PlannedRedemption {
        let buyer = SigningKey::from_seed([3; 32]);
        PlannedRedemption {
            stream_id,
            kind: RedemptionKind::Settle,
            voucher: Some(
                Voucher {
                    chain_id: 4,
                    package: AccountAddress::new([0xc5; 32]),
                    stream_id,
                    cumulative_amount: Octas(u64::MAX),
                }
                .sign(&buyer),
            ),
            expected_payment: Octas(1),
        }
    }

    #[test]
    fn a_full_batch_fits_the_transaction_size_limit() {
        let acct = SettlerAccount::new([7; 32], 4, AccountAddress::new([0xc5; 32])).expect("key");
        let terms = TxnTerms {
            sequence_number: u64::MAX,
            max_gas_amount: u64::MAX,
            gas_unit_price: u64::MAX,
            expiration_secs: u64::MAX,
        };
        for limit in [4 * 1024, 60 * 1024, 64 * 1024] {
            let n = streams_per_transaction(limit);
            let rows: Vec<_> = (0..n as u64).map(|i| row(u64::MAX - i)).collect();
            let size = acct
                .sign(&rows, terms)
                .expect("sign")
                .to_bcs()
                .expect("bcs")
                .len();
            assert!(size <= limit, "{n} streams: {size} bytes > {limit}");
            let one_more: Vec<_> = (0..=n as u64).map(|i| row(u64::MAX - i)).collect();
            let bigger = acct
                .sign(&one_more, terms)
                .expect("sign")
                .to_bcs()
                .expect("bcs")
                .len();
            assert!(bigger > size);
            assert!(limit - size < 2 * SETTLE_ROW_BYTES + SETTLE_BATCH_OVERHEAD_BYTES);
        }
        assert_eq!(streams_per_transaction(64 * 1024), 804);
    }

    #[test]
    fn pack_puts_each_close_alone_and_batches_settles() {
        let mut close = row(1);
        close.kind = RedemptionKind::Close;
        let plan = vec![row(2), close, row(3), row(4)];
        let txns = pack(plan, 2);
        assert_eq!(txns.len(), 3);
        assert_eq!(txns[0][0].kind, RedemptionKind::Close);
        assert_eq!(txns[1].len(), 2);
        assert_eq!(txns[2].len(), 1);
    }
}
