//! From log records to what the desk is fed: envelopes decoded and signatures verified in
//! parallel (the expensive part), then applied in log order on one thread.

use computestream_domain::{
    MeteringError, SignatureChecked, SignedMeteringRecord, SignedVoucher, StreamTerms, VoucherError,
};
use computestream_eventlog::LogRecord;
use computestream_schemas::{Envelope, Event};

/// One log record, ready for the desk.
#[derive(Debug, Clone)]
pub enum Input {
    Opened(StreamTerms),
    Deposited {
        stream_id: u64,
        total: computestream_domain::Octas,
    },
    /// The job ended: its stream may be closed by anyone.
    Closable(u64),
    Settled {
        stream_id: u64,
        paid_total: computestream_domain::Octas,
    },
    Closed {
        stream_id: u64,
        paid_total: computestream_domain::Octas,
    },
    Voucher(Result<SignatureChecked<SignedVoucher>, VoucherError>),
    Record(Result<SignatureChecked<SignedMeteringRecord>, MeteringError>),
    /// Not the settler's business (providers, heartbeats, settlement reports).
    Other,
    /// Could not be decoded; the projector dead-letters the same record.
    Undecodable(String),
}

/// A decoded record with the time its event happened (ms; block time for chain events,
/// receipt time for vouchers).
#[derive(Debug, Clone)]
pub struct Decoded {
    pub at_ms: u64,
    pub input: Input,
}

/// Decodes one record and verifies the signature it carries.
pub fn decode(record: &LogRecord) -> Decoded {
    let env = match Envelope::from_json(&record.payload) {
        Ok(e) => e,
        Err(e) => {
            return Decoded {
                at_ms: 0,
                input: Input::Undecodable(e.to_string()),
            }
        }
    };
    let at_ms = env.occurred_at_ms;
    let input = match env.event {
        Event::StreamOpened(e) => Input::Opened(StreamTerms {
            stream_id: e.stream_id,
            buyer_public_key: e.buyer_public_key,
            provider: e.provider,
            rate_per_second: e.rate_per_second,
            escrow: e.escrow,
        }),
        Event::EscrowDeposited(e) => Input::Deposited {
            stream_id: e.job_id,
            total: e.total_deposited,
        },
        Event::JobStatusChanged(e) if e.to.is_terminal() => Input::Closable(e.job_id),
        Event::StreamSettled(e) => Input::Settled {
            stream_id: e.stream_id,
            paid_total: e.paid_total,
        },
        Event::StreamClosed(e) => Input::Closed {
            stream_id: e.stream_id,
            paid_total: e.paid_total,
        },
        Event::VoucherReceived(v) => Input::Voucher(SignatureChecked::voucher(v.voucher)),
        Event::MeteringTick(t) => Input::Record(SignatureChecked::metering(t.record)),
        _ => Input::Other,
    };
    Decoded { at_ms, input }
}

/// Decodes a batch on `threads` threads, keeping the order.
pub fn decode_all(records: &[LogRecord], threads: usize) -> Vec<Decoded> {
    let threads = threads.max(1);
    if threads == 1 || records.len() < 64 {
        return records.iter().map(decode).collect();
    }
    let chunk = records.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = records
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(decode).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}
