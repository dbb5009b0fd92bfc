//! `computestream::escrow`, mirrored. Conservation is asserted after every operation, as the
//! Move module does.

use computestream_domain::package_rules;
use computestream_domain::AccountAddress;
use serde_json::json;

use super::{abort_codes, coin, move_json, ChainState, Effects, EscrowEntry, ExecFailure};

abort_codes!("escrow" {
    E_NO_ESCROW = 1: "The job has no escrow.",
    E_ESCROW_EXISTS = 2: "The job already has an escrow.",
    E_INSUFFICIENT_ESCROW = 3: "A release or refund larger than what is locked.",
    E_ZERO_AMOUNT = 4: "A deposit of zero octas.",
    E_CONSERVATION = 5: "Conservation broke: deposited != released + refunded + locked (never expected).",
    E_ESCROW_CLOSED = 6: "The escrow was settled and refunded (its stream closed): it takes no more deposits.",
    E_DEPOSIT_OVERFLOW = 7: "The deposit would take the escrow's total above u64::MAX octas.",
});

const MODULE: &str = "escrow";
/// What the Move VM reports for an arithmetic error; unreachable while conservation holds.
const ARITHMETIC: ExecFailure = ExecFailure::Status("ARITHMETIC_ERROR");

/// The checks of `escrow::open`.
pub fn check_open(
    state: &ChainState,
    buyer: &AccountAddress,
    job_id: u64,
    amount: u64,
) -> Result<(), super::Abort> {
    let pkg = state.package;
    if amount == 0 {
        return Err(codes::E_ZERO_AMOUNT(pkg));
    }
    if state.escrows.contains_key(&job_id) {
        return Err(codes::E_ESCROW_EXISTS(pkg));
    }
    coin::check_withdraw(state, buyer, amount)
}

/// `escrow::open`, after [`check_open`].
pub fn open(
    state: &mut ChainState,
    fx: &mut Effects,
    buyer: AccountAddress,
    job_id: u64,
    provider: AccountAddress,
    amount: u64,
) {
    coin::withdraw(state, fx, buyer, amount);
    state.escrows.insert(
        job_id,
        EscrowEntry {
            buyer,
            provider,
            locked: amount,
            deposited: amount,
            released: 0,
            refunded: 0,
            closed: false,
        },
    );
    fx.emit(
        &state.package.clone(),
        MODULE,
        "Deposited",
        json!({
            "job_id": move_json::u64(job_id), "buyer": move_json::address(&buyer),
            "amount": move_json::u64(amount), "total_deposited": move_json::u64(amount),
        }),
    );
}

/// `escrow::deposit` (entry).
pub fn deposit(
    state: &mut ChainState,
    fx: &mut Effects,
    sender: AccountAddress,
    job_id: u64,
    amount: u64,
) -> Result<(), ExecFailure> {
    let pkg = state.package;
    if amount == 0 {
        return Err(codes::E_ZERO_AMOUNT(pkg).into());
    }
    match state.escrows.get(&job_id) {
        None => return Err(codes::E_NO_ESCROW(pkg).into()),
        Some(e) if e.closed => return Err(codes::E_ESCROW_CLOSED(pkg).into()),
        Some(e) => package_rules::check_deposit(e.deposited, amount)
            .map_err(|r| ExecFailure::from(super::rule_abort(pkg, r)))?,
    }
    coin::check_withdraw(state, &sender, amount)?;
    coin::withdraw(state, fx, sender, amount);
    let total = {
        let e = state
            .escrows
            .get_mut(&job_id)
            .ok_or_else(|| codes::E_NO_ESCROW(pkg))?;
        // Bounded by the check above: `locked <= deposited`.
        e.locked = e.locked.checked_add(amount).ok_or(ARITHMETIC)?;
        e.deposited = e.deposited.checked_add(amount).ok_or(ARITHMETIC)?;
        if !e.is_conserved() {
            return Err(codes::E_CONSERVATION(pkg).into());
        }
        e.deposited
    };
    fx.emit(
        &pkg,
        MODULE,
        "Deposited",
        json!({
            "job_id": move_json::u64(job_id), "buyer": move_json::address(&sender),
            "amount": move_json::u64(amount), "total_deposited": move_json::u64(total),
        }),
    );
    Ok(())
}

pub fn deposited(state: &ChainState, job_id: u64) -> u64 {
    state.escrows.get(&job_id).map(|e| e.deposited).unwrap_or(0)
}

/// `escrow::release`. Callers pass an amount the payout rule already bounded by the
/// escrow, so the `E_INSUFFICIENT_ESCROW` check cannot fire; it is kept as in Move.
pub fn release(
    state: &mut ChainState,
    fx: &mut Effects,
    job_id: u64,
    amount: u64,
) -> Result<(), ExecFailure> {
    if amount == 0 {
        return Ok(());
    }
    let pkg = state.package;
    let (provider, total) = {
        let e = state
            .escrows
            .get_mut(&job_id)
            .ok_or_else(|| codes::E_NO_ESCROW(pkg))?;
        if e.locked < amount {
            return Err(codes::E_INSUFFICIENT_ESCROW(pkg).into());
        }
        e.locked -= amount;
        // `released + amount <= deposited` while conservation holds.
        e.released = e.released.checked_add(amount).ok_or(ARITHMETIC)?;
        (e.provider, e.released)
    };
    coin::deposit(state, fx, provider, amount)?;
    fx.emit(
        &pkg,
        MODULE,
        "Released",
        json!({
            "job_id": move_json::u64(job_id), "provider": move_json::address(&provider),
            "amount": move_json::u64(amount), "total_released": move_json::u64(total),
        }),
    );
    Ok(())
}

/// `escrow::refund_rest`: everything still locked back to the buyer.
pub fn refund_rest(
    state: &mut ChainState,
    fx: &mut Effects,
    job_id: u64,
) -> Result<u64, ExecFailure> {
    let pkg = state.package;
    let (buyer, amount) = {
        let e = state
            .escrows
            .get_mut(&job_id)
            .ok_or_else(|| codes::E_NO_ESCROW(pkg))?;
        let amount = e.locked;
        e.locked = 0;
        e.refunded = e.refunded.checked_add(amount).ok_or(ARITHMETIC)?;
        e.closed = true;
        (e.buyer, amount)
    };
    if amount > 0 {
        coin::deposit(state, fx, buyer, amount)?;
        fx.emit(&pkg, MODULE, "Refunded", json!({
            "job_id": move_json::u64(job_id), "buyer": move_json::address(&buyer), "amount": move_json::u64(amount),
        }));
    }
    Ok(amount)
}
