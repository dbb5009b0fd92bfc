//! The settler's metrics (`computestream_settler_*`).

use computestream_domain::{DeskError, DeskTotals, Offered};

pub fn offered(kind: &'static str, o: Offered) {
    let outcome = match o {
        Offered::Accepted => "accepted",
        Offered::Duplicate => "duplicate",
        Offered::Held => "held",
    };
    metrics::counter!("computestream_settler_messages_total", "kind" => kind, "outcome" => outcome)
        .increment(1);
}

/// A voucher or record refused, by its x402-style reason.
pub fn rejected(e: &DeskError) {
    let (kind, reason) = match e {
        DeskError::Voucher(v) => ("voucher", v.x402_reason()),
        DeskError::Metering(_) => ("metering", "invalid_metering_record"),
        DeskError::Closed(_) => ("any", "stream_closed"),
        DeskError::UnknownStream(_) => ("any", "unknown_stream"),
        DeskError::HoldFull(_) => ("any", "hold_full"),
    };
    metrics::counter!("computestream_settler_messages_total", "kind" => kind, "outcome" => "rejected", "reason" => reason)
        .increment(1);
}

/// Messages held for streams never opened, dropped ([`crate::orphan_fence`]).
pub fn orphans_dropped(n: usize) {
    metrics::counter!("computestream_settler_messages_total", "kind" => "any", "outcome" => "rejected", "reason" => "unknown_stream")
        .increment(n as u64);
}

pub fn undecodable() {
    metrics::counter!("computestream_settler_messages_total", "kind" => "unknown", "outcome" => "undecodable")
        .increment(1);
}

pub fn desk_totals(t: &DeskTotals) {
    metrics::gauge!("computestream_settler_unsettled_octas").set(t.unsettled.get() as f64);
    metrics::gauge!("computestream_settler_paid_octas").set(t.paid.get() as f64);
    metrics::gauge!("computestream_settler_streams", "state" => "open").set(t.open_streams as f64);
    metrics::gauge!("computestream_settler_streams", "state" => "closed")
        .set(t.closed_streams as f64);
    metrics::gauge!("computestream_settler_held_messages").set(t.held_messages as f64);
}

/// Seconds from the voucher that made an amount redeemable to its payment on chain.
pub fn settlement_lag(ms: u64) {
    metrics::histogram!("computestream_settler_settlement_lag_seconds").record(ms as f64 / 1000.0);
}

pub fn transaction(function: &'static str, outcome: &'static str, streams: usize) {
    metrics::counter!("computestream_settler_transactions_total", "function" => function, "outcome" => outcome)
        .increment(1);
    if outcome == "committed" {
        metrics::histogram!("computestream_settler_batch_streams").record(streams as f64);
    }
}

pub fn gas_per_stream_second(v: f64) {
    metrics::gauge!("computestream_settler_gas_per_stream_second").set(v);
}

pub fn failure(reason: &'static str) {
    metrics::counter!("computestream_settler_failures_total", "reason" => reason).increment(1);
}
