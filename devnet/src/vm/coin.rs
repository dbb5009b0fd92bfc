//! The native coin: withdraw and deposit with the framework's events and abort.

use computestream_domain::{AccountAddress, NATIVE_COIN};
use serde_json::json;

use super::{move_json, Abort, ChainState, Effects, ExecFailure};

/// `0x1::coin::EINSUFFICIENT_BALANCE` as `error::invalid_argument(6)`.
pub fn insufficient_balance() -> Abort {
    Abort {
        address: AccountAddress::ONE,
        module: "coin",
        name: "EINSUFFICIENT_BALANCE",
        code: 0x10006,
        description: "Not enough coins to complete transaction",
    }
}

/// The check `coin::withdraw` makes.
pub fn check_withdraw(state: &ChainState, from: &AccountAddress, amount: u64) -> Result<(), Abort> {
    if state.balance(from) < amount {
        return Err(insufficient_balance());
    }
    Ok(())
}

/// Moves `amount` out of `from` (checked with [`check_withdraw`] first).
pub fn withdraw(state: &mut ChainState, fx: &mut Effects, from: AccountAddress, amount: u64) {
    let b = state.balances.entry(from).or_insert(0);
    // Checked by `check_withdraw` before any state changed.
    *b = b.saturating_sub(amount);
    fx.emit(
        &AccountAddress::ONE,
        "coin",
        "CoinWithdraw",
        json!({ "coin_type": NATIVE_COIN, "account": move_json::address(&from), "amount": move_json::u64(amount) }),
    );
}

/// Adds `amount` to `to`: `coin::merge` adds with Move's checked `+`, so a balance that would
/// pass u64::MAX aborts with an arithmetic error (unreachable here: the devnet's whole supply
/// is [`crate::devnet::ROOT_BALANCE`], far below u64::MAX).
pub fn deposit(
    state: &mut ChainState,
    fx: &mut Effects,
    to: AccountAddress,
    amount: u64,
) -> Result<(), ExecFailure> {
    let b = state.balances.entry(to).or_insert(0);
    *b = b
        .checked_add(amount)
        .ok_or(ExecFailure::Status("ARITHMETIC_ERROR"))?;
    fx.emit(
        &AccountAddress::ONE,
        "coin",
        "CoinDeposit",
        json!({ "coin_type": NATIVE_COIN, "account": move_json::address(&to), "amount": move_json::u64(amount) }),
    );
    Ok(())
}

/// `0x1::aptos_account::transfer`: creates the recipient account if needed.
pub fn transfer(
    state: &mut ChainState,
    fx: &mut Effects,
    from: AccountAddress,
    to: AccountAddress,
    amount: u64,
) -> Result<(), ExecFailure> {
    check_withdraw(state, &from, amount)?;
    state.ensure_account(to);
    withdraw(state, fx, from, amount);
    deposit(state, fx, to, amount)
}

/// `0x1::aptos_account::create_account`.
pub fn create_account(state: &mut ChainState, addr: AccountAddress) -> Result<(), ExecFailure> {
    if state.accounts.contains_key(&addr) {
        return Err(Abort {
            address: AccountAddress::ONE,
            module: "account",
            name: "EACCOUNT_ALREADY_EXISTS",
            code: 0x80001,
            description: "Account already exists",
        }
        .into());
    }
    state.ensure_account(addr);
    Ok(())
}
