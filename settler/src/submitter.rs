//! Signs, records, submits and confirms the settler's transactions.
//!
//! Order of effects per transaction: the intent (`SettlementSubmitted`, with the
//! transaction's hash) is in the settlement topic before the transaction reaches the node;
//! the outcome (`SettlementConfirmed` or `SettlementFailed`) follows. A crash anywhere in
//! between is harmless: on restart the desk is rebuilt from the log and re-plans whatever
//! the chain has not paid; the chain pays `cumulative - already_paid`, so a voucher
//! redeemed twice pays once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aptos_sdk::transaction::SignedTransaction;
use computestream_domain::{PlannedRedemption, RedemptionKind};
use computestream_eventlog::EnvelopeProducer;
use computestream_runtime::Shutdown;
use computestream_schemas::events::{
    SettledItem, SettlementConfirmed, SettlementFailed, SettlementItem, SettlementSubmitted,
};
use computestream_schemas::Envelope;
use tokio::sync::mpsc;

use crate::chain::SettlementChain;
use crate::state::SettlerState;
use crate::telemetry as m;
use crate::transactions::{SettlerAccount, TxnTerms};
use crate::{ChainError, SettlerConfig};
use computestream_chain::Committed;
use computestream_runtime::now_ms;

/// Transactions signed with consecutive sequence numbers and in flight together.
const PIPELINE: usize = 32;
/// Attempts at one node call before the transactions of a round are given up.
const ATTEMPTS: u32 = 6;

pub struct Submitter<C: SettlementChain> {
    pub chain: Arc<C>,
    pub account: SettlerAccount,
    pub producer: EnvelopeProducer,
    pub shared: Arc<SettlerState>,
    pub config: SettlerConfig,
}

struct Sent {
    hash: String,
    items: Vec<PlannedRedemption>,
}

fn function(items: &[PlannedRedemption]) -> &'static str {
    match items {
        [one] if one.kind == RedemptionKind::Close => "close_stream",
        _ => "settle_batch",
    }
}

impl<C: SettlementChain> Submitter<C> {
    pub async fn run(self, mut rx: mpsc::Receiver<Vec<PlannedRedemption>>, shutdown: Shutdown) {
        let mut next_seq: Option<u64> = None;
        let mut price: Option<(u64, Instant)> = None;
        loop {
            let first = tokio::select! {
                _ = shutdown.wait() => break,
                r = rx.recv() => match r { Some(x) => x, None => break },
            };
            let mut round = vec![first];
            while round.len() < PIPELINE {
                match rx.try_recv() {
                    Ok(x) => round.push(x),
                    Err(_) => break,
                }
            }
            self.round(round, &mut next_seq, &mut price, &shutdown)
                .await;
        }
    }

    fn abandon(&self, items: &[PlannedRedemption]) {
        self.shared.desk().abandoned(items);
    }

    /// A node call, retried with backoff while the node is unavailable.
    async fn retry<T, F, Fut>(&self, shutdown: &Shutdown, mut call: F) -> Result<T, ChainError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, ChainError>>,
    {
        let mut delay = Duration::from_millis(200);
        let mut attempt = 1;
        loop {
            match call().await {
                Err(e) if e.is_retryable() && attempt < ATTEMPTS && !shutdown.is_triggered() => {
                    tracing::warn!(error = %e, attempt, "node call failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn round(
        &self,
        round: Vec<Vec<PlannedRedemption>>,
        next_seq: &mut Option<u64>,
        price: &mut Option<(u64, Instant)>,
        shutdown: &Shutdown,
    ) {
        let address = self.account.address;
        let prep = async {
            let ledger = self.retry(shutdown, || self.chain.ledger()).await?;
            let seq = match *next_seq {
                Some(s) => s,
                None => {
                    self.retry(shutdown, || self.chain.sequence_number(address))
                        .await?
                }
            };
            let gas_price = match *price {
                Some((p, at)) if at.elapsed() < Duration::from_secs(60) => p,
                _ => {
                    let p = self.retry(shutdown, || self.chain.gas_unit_price()).await?;
                    *price = Some((p, Instant::now()));
                    p
                }
            };
            Ok::<_, ChainError>((ledger, seq, gas_price))
        };
        let (ledger, mut seq, gas_price) = match prep.await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "node unavailable; the round is re-planned");
                m::failure("node_unavailable");
                for items in &round {
                    self.abandon(items);
                }
                *next_seq = None;
                tokio::time::sleep(Duration::from_secs(1)).await;
                return;
            }
        };
        // Expiry bounds how long a transaction we stopped waiting for could still commit;
        // from the later of the ledger's time and ours (a node whose newest block is a few
        // seconds old would otherwise see it expired on arrival).
        let expiration_secs =
            ledger.timestamp_secs.max(now_ms() / 1000) + self.config.confirm_timeout_secs;
        // Sign the round with consecutive sequence numbers, record every intent (at once),
        // then hand the transactions to the node in order.
        let mut signed_round = Vec::new();
        for items in round {
            let terms = TxnTerms {
                sequence_number: seq + signed_round.len() as u64,
                max_gas_amount: self.config.max_gas_amount,
                gas_unit_price: gas_price,
                expiration_secs,
            };
            match self.account.sign(&items, terms) {
                Ok(signed) => signed_round.push((signed, items)),
                Err(e) => {
                    tracing::error!(error = %e, "cannot build the transaction");
                    m::failure("build");
                    self.abandon(&items);
                }
            }
        }
        let intents = futures::future::join_all(
            signed_round
                .iter()
                .map(|(signed, items)| self.record_intent(signed, items)),
        )
        .await;
        let mut sent = Vec::new();
        let mut queue = signed_round.into_iter().zip(intents);
        while let Some(((signed, items), intent)) = queue.next() {
            // A transaction is only submitted with its intent recorded, before its expiry,
            // and right after its predecessor (sequence numbers): otherwise the rest of the
            // round is re-planned.
            let outcome = match intent {
                Err(e) => Err(e),
                Ok(_) if now_ms() / 1000 + 2 >= expiration_secs => Err(ChainError::Timeout(
                    "the round ran out of time before this transaction".into(),
                )),
                Ok(hash) => self
                    .retry(shutdown, || self.chain.submit(&signed))
                    .await
                    .map(|()| hash),
            };
            match outcome {
                Ok(hash) => {
                    seq += 1;
                    sent.push(Sent { hash, items });
                }
                Err(e) => {
                    tracing::warn!(
                        error = %e,
                        expiration_secs,
                        now_secs = now_ms() / 1000,
                        "transaction not accepted; the rest of the round is re-planned"
                    );
                    m::transaction(function(&items), "rejected", items.len());
                    m::failure(if e.is_retryable() || e.is_sequence_problem() {
                        "node_unavailable_or_sequence"
                    } else {
                        "rejected"
                    });
                    self.report_failed(signed_hash(&signed), e.to_string(), true)
                        .await;
                    self.abandon(&items);
                    for ((_, rest), _) in queue.by_ref() {
                        self.abandon(&rest);
                    }
                    *next_seq = None;
                    self.confirm(sent, shutdown).await;
                    return;
                }
            }
        }
        *next_seq = Some(seq);
        if !self.confirm(sent, shutdown).await {
            *next_seq = None;
        }
    }

    /// Records the intent of a signed transaction in the settlement topic (before the node
    /// ever sees it); returns its hash.
    async fn record_intent(
        &self,
        signed: &SignedTransaction,
        items: &[PlannedRedemption],
    ) -> Result<String, ChainError> {
        let hash =
            signed_hash(signed).ok_or_else(|| ChainError::Malformed("transaction hash".into()))?;
        let intent = SettlementSubmitted {
            batch_id: hash.clone(),
            settler: self.account.address,
            sequence_number: signed.sequence_number(),
            transaction_hash: hash.clone(),
            items: items
                .iter()
                .filter(|p| p.kind == RedemptionKind::Settle)
                .map(|p| SettlementItem {
                    stream_id: p.stream_id,
                    cumulative_amount: p.cumulative_amount(),
                })
                .collect(),
            closes: items
                .iter()
                .filter(|p| p.kind == RedemptionKind::Close)
                .map(|p| p.stream_id)
                .collect(),
        };
        self.producer
            .send(&Envelope::settlement_submitted(now_ms(), intent))
            .await
            .map_err(|e| ChainError::Unavailable(format!("recording the intent: {e}")))?;
        Ok(hash)
    }

    /// Waits for the round's transactions to commit. Returns false when some did not
    /// within the timeout (their streams are re-planned).
    async fn confirm(&self, mut pending: Vec<Sent>, shutdown: &Shutdown) -> bool {
        let deadline = Instant::now() + Duration::from_secs(self.config.confirm_timeout_secs);
        let mut all_committed = true;
        while !pending.is_empty() {
            let mut still = Vec::new();
            for s in pending {
                match self.chain.committed(&s.hash).await {
                    Ok(Some(c)) => self.committed(s, c).await,
                    Ok(None) => still.push(s),
                    Err(e) if e.is_retryable() => still.push(s),
                    Err(e) => {
                        tracing::warn!(error = %e, hash = %s.hash, "cannot read the transaction");
                        still.push(s);
                    }
                }
            }
            pending = still;
            if pending.is_empty() {
                break;
            }
            if Instant::now() >= deadline || shutdown.is_triggered() {
                for s in pending {
                    m::transaction(function(&s.items), "unconfirmed", s.items.len());
                    m::failure("unconfirmed");
                    self.abandon(&s.items);
                    self.report_failed(
                        Some(s.hash.clone()),
                        format!(
                            "not committed within {} s",
                            self.config.confirm_timeout_secs
                        ),
                        true,
                    )
                    .await;
                }
                all_committed = false;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        all_committed
    }

    async fn committed(&self, s: Sent, c: Committed) {
        let f = function(&s.items);
        if !c.success {
            tracing::warn!(hash = %s.hash, vm_status = %c.vm_status, "transaction failed on chain");
            m::transaction(f, "failed", s.items.len());
            m::failure("aborted");
            let stream_closed = computestream_domain::MoveAbort::parse(&c.vm_status)
                .is_some_and(|a| a.is(&self.shared.package, "payment_stream", "E_STREAM_CLOSED"));
            if stream_closed && s.items.iter().all(|i| i.kind == RedemptionKind::Close) {
                // Only a close aborts on a closed stream (settle_batch skips it): an earlier
                // run closed it. Nothing more to do for these streams.
                let mut desk = self.shared.desk();
                for item in &s.items {
                    desk.closed_on_chain(item.stream_id);
                }
            }
            self.abandon(&s.items);
            self.report_failed(Some(s.hash), c.vm_status, true).await;
            return;
        }
        m::transaction(f, "committed", s.items.len());
        let now = now_ms();
        let mut paid = Vec::new();
        let mut seconds = 0f64;
        {
            let mut desk = self.shared.desk();
            for &(stream_id, paid_now, paid_total) in &c.settled {
                if let Some(rate) = desk.terms(stream_id).map(|t| t.rate_per_second.get()) {
                    if rate > 0 {
                        seconds += paid_now.get() as f64 / rate as f64;
                    }
                }
                // The indexed StreamSettled event will say the same; totals only grow.
                if let Some(since) = desk.settled(stream_id, paid_total, now) {
                    m::settlement_lag(now.saturating_sub(since));
                }
                paid.push(SettledItem {
                    stream_id,
                    paid_now,
                    paid_total,
                });
            }
            for &(stream_id, final_payment, paid_total) in &c.closed {
                desk.closed(stream_id, paid_total);
                paid.push(SettledItem {
                    stream_id,
                    paid_now: final_payment,
                    paid_total,
                });
            }
            // Rows the chain rejected (VoucherRejected) or paid nothing for: plan again
            // only if the desk still finds them due.
            desk.abandoned(&s.items);
        }
        if seconds > 0.0 {
            m::gas_per_stream_second(c.gas_used as f64 / seconds);
        }
        let report = SettlementConfirmed {
            batch_id: s.hash.clone(),
            transaction_hash: s.hash,
            version: c.version,
            gas_used: c.gas_used,
            paid,
        };
        if let Err(e) = self
            .producer
            .send(&Envelope::settlement_confirmed(
                self.account.address,
                now,
                report,
            ))
            .await
        {
            tracing::warn!(error = %e, "could not record a confirmation (the chain events still carry it)");
        }
    }

    async fn report_failed(&self, hash: Option<String>, reason: String, retryable: bool) {
        let batch_id = hash
            .clone()
            .unwrap_or_else(|| format!("unsigned-{}", now_ms()));
        let report = SettlementFailed {
            batch_id,
            transaction_hash: hash,
            reason,
            retryable,
        };
        if let Err(e) = self
            .producer
            .send(&Envelope::settlement_failed(
                self.account.address,
                now_ms(),
                report,
            ))
            .await
        {
            tracing::warn!(error = %e, "could not record a failure");
        }
    }
}

fn signed_hash(t: &SignedTransaction) -> Option<String> {
    t.hash().ok().map(|h| h.to_hex())
}
