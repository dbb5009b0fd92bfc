//! `computestream::payment_stream`, mirrored. Vouchers are verified with the domain
//! crate's byte layout, which the Move package's shared test vector pins to
//! `payment_stream::voucher_message_bytes`.

use computestream_domain::package_rules;
use computestream_domain::settlement::payout;
use computestream_domain::{AccountAddress, Octas, PublicKey, Signature, Voucher};
use serde_json::json;

use super::{abort_codes, escrow, move_json, ChainState, Effects, ExecFailure, Stream};

abort_codes!("payment_stream" {
    E_NO_STREAM = 1: "No stream with that id.",
    E_STREAM_EXISTS = 2: "A stream with that id exists already.",
    E_LENGTH_MISMATCH = 3: "`streams`, `cumulative_amounts` and `signatures` differ in length.",
    E_BAD_BUYER_KEY = 4: "The voucher key is not a valid ed25519 public key (32 bytes, on the curve, not of small order).",
    E_STREAM_CLOSED = 5: "The stream is closed.",
    E_NOT_ALLOWED = 6: "Only the buyer or the provider may close a stream before it is closable.",
    E_BAD_VOUCHER = 7: "The final voucher given to `close_stream` does not verify.",
    E_ZERO_RATE = 8: "Rate of zero octas per second.",
});

const MODULE: &str = "payment_stream";
/// `VoucherRejected.reason` values.
pub const REJECT_NO_STREAM: u8 = 1;
pub const REJECT_CLOSED: u8 = 2;
pub const REJECT_BAD_SIGNATURE: u8 = 3;

/// The checks of `open_stream`.
pub fn check_open(
    state: &ChainState,
    stream_id: u64,
    rate: u64,
    pk: &[u8],
) -> Result<(), super::Abort> {
    let pkg = state.package;
    if rate == 0 {
        return Err(codes::E_ZERO_RATE(pkg));
    }
    package_rules::check_voucher_key(pk).map_err(|r| super::rule_abort(pkg, r))?;
    if state.streams.contains_key(&stream_id) {
        return Err(codes::E_STREAM_EXISTS(pkg));
    }
    Ok(())
}

/// `open_stream`, after [`check_open`].
#[allow(clippy::too_many_arguments)]
pub fn open(
    state: &mut ChainState,
    fx: &mut Effects,
    buyer: AccountAddress,
    provider: AccountAddress,
    stream_id: u64,
    buyer_public_key: Vec<u8>,
    rate_per_second: u64,
    max_duration_secs: u64,
) {
    let pkg = state.package;
    let now = state.now_seconds();
    fx.emit(&pkg, MODULE, "StreamOpened", json!({
        "stream_id": move_json::u64(stream_id), "buyer": move_json::address(&buyer),
        "provider": move_json::address(&provider), "buyer_public_key": move_json::bytes(&buyer_public_key),
        "rate_per_second": move_json::u64(rate_per_second),
        "escrow": move_json::u64(escrow::deposited(state, stream_id)),
    }));
    state.streams.insert(
        stream_id,
        Stream {
            buyer,
            provider,
            buyer_public_key,
            rate_per_second,
            opened_at: now,
            max_duration_secs,
            paid: 0,
            closable: false,
            open: true,
        },
    );
}

pub fn mark_closable(state: &mut ChainState, stream_id: u64) {
    if let Some(s) = state.streams.get_mut(&stream_id) {
        s.closable = true;
    }
}

fn verify_voucher(
    state: &ChainState,
    pk: &[u8],
    stream_id: u64,
    cumulative: u64,
    sig: &[u8],
) -> bool {
    let (Ok(key), Ok(sig)) = (<[u8; 32]>::try_from(pk), <[u8; 64]>::try_from(sig)) else {
        return false;
    };
    let voucher = Voucher {
        chain_id: state.chain_id,
        package: state.package,
        stream_id,
        cumulative_amount: Octas(cumulative),
    };
    PublicKey(key).verify_strict(&voucher.signing_bytes(), &Signature(sig))
}

pub fn settle_batch(
    state: &mut ChainState,
    fx: &mut Effects,
    streams: &[u64],
    amounts: &[u64],
    sigs: &[Vec<u8>],
) -> Result<(), ExecFailure> {
    let pkg = state.package;
    if streams.len() != amounts.len() || streams.len() != sigs.len() {
        return Err(codes::E_LENGTH_MISMATCH(pkg).into());
    }
    for ((&stream_id, &cumulative), sig) in streams.iter().zip(amounts).zip(sigs) {
        redeem_one(state, fx, stream_id, cumulative, sig)?;
    }
    Ok(())
}

fn reject(fx: &mut Effects, pkg: &AccountAddress, stream_id: u64, cumulative: u64, reason: u8) {
    fx.emit(pkg, MODULE, "VoucherRejected", json!({
        "stream_id": move_json::u64(stream_id), "cumulative_amount": move_json::u64(cumulative), "reason": reason,
    }));
}

fn redeem_one(
    state: &mut ChainState,
    fx: &mut Effects,
    stream_id: u64,
    cumulative: u64,
    sig: &[u8],
) -> Result<(), ExecFailure> {
    let pkg = state.package;
    let Some(stream) = state.streams.get(&stream_id) else {
        reject(fx, &pkg, stream_id, cumulative, REJECT_NO_STREAM);
        return Ok(());
    };
    if !stream.open {
        reject(fx, &pkg, stream_id, cumulative, REJECT_CLOSED);
        return Ok(());
    }
    if !verify_voucher(state, &stream.buyer_public_key, stream_id, cumulative, sig) {
        reject(fx, &pkg, stream_id, cumulative, REJECT_BAD_SIGNATURE);
        return Ok(());
    }
    let paid_now = payout(
        Octas(stream.paid),
        Octas(cumulative),
        Octas(escrow::deposited(state, stream_id)),
    )
    .get();
    // `paid + paid_now <= min(cumulative, deposited)`: the payout rule bounds it.
    let paid_total = stream
        .paid
        .checked_add(paid_now)
        .ok_or(ExecFailure::Status("ARITHMETIC_ERROR"))?;
    if let Some(s) = state.streams.get_mut(&stream_id) {
        s.paid = paid_total;
    }
    escrow::release(state, fx, stream_id, paid_now)?;
    fx.emit(
        &pkg,
        MODULE,
        "StreamSettled",
        json!({
            "stream_id": move_json::u64(stream_id), "cumulative_amount": move_json::u64(cumulative),
            "paid_now": move_json::u64(paid_now), "paid_total": move_json::u64(paid_total),
        }),
    );
    Ok(())
}

pub fn close_stream(
    state: &mut ChainState,
    fx: &mut Effects,
    caller: AccountAddress,
    stream_id: u64,
    cumulative: u64,
    sig: Vec<u8>,
) -> Result<(), ExecFailure> {
    let pkg = state.package;
    let now = state.now_seconds();
    let stream = state
        .streams
        .get(&stream_id)
        .ok_or_else(|| codes::E_NO_STREAM(pkg))?;
    if !stream.open {
        return Err(codes::E_STREAM_CLOSED(pkg).into());
    }
    // `now_seconds() - opened_at >= max_duration_secs`, as Move computes it: never an
    // addition, so no stream becomes unclosable (the clock never goes back).
    let elapsed = now
        .checked_sub(stream.opened_at)
        .ok_or(ExecFailure::Status("ARITHMETIC_ERROR"))?;
    let expired = elapsed >= stream.max_duration_secs;
    if !(caller == stream.buyer || caller == stream.provider || stream.closable || expired) {
        return Err(codes::E_NOT_ALLOWED(pkg).into());
    }
    let mut final_payment = 0;
    let mut paid_total = stream.paid;
    if !sig.is_empty() {
        if !verify_voucher(state, &stream.buyer_public_key, stream_id, cumulative, &sig) {
            return Err(codes::E_BAD_VOUCHER(pkg).into());
        }
        final_payment = payout(
            Octas(stream.paid),
            Octas(cumulative),
            Octas(escrow::deposited(state, stream_id)),
        )
        .get();
        paid_total = paid_total
            .checked_add(final_payment)
            .ok_or(ExecFailure::Status("ARITHMETIC_ERROR"))?;
    }
    if let Some(s) = state.streams.get_mut(&stream_id) {
        s.paid = paid_total;
        s.open = false;
    }
    escrow::release(state, fx, stream_id, final_payment)?;
    let refunded = escrow::refund_rest(state, fx, stream_id)?;
    fx.emit(
        &pkg,
        MODULE,
        "StreamClosed",
        json!({
            "stream_id": move_json::u64(stream_id), "final_payment": move_json::u64(final_payment),
            "paid_total": move_json::u64(paid_total), "refunded": move_json::u64(refunded),
        }),
    );
    Ok(())
}
