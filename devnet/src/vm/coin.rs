//! The native coin: withdraw and deposit with the framework's events and aborts, and the
//! framework's transfer functions (`0x1::aptos_account::transfer`, `transfer_coins<T>`,
//! `0x1::coin::transfer<T>`). The devnet has one coin, `0x1::aptos_coin::AptosCoin`, held in
//! each account's `CoinStore` and not paired with a fungible asset; any other coin type is a
//! coin nobody holds, and the framework's code takes the same paths for it as for a coin that
//! is not initialized (Movement's `aptos-move/framework/aptos-framework/sources/coin.move`).

use aptos_sdk::types::{StructTag, TypeTag};
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

/// `0x1::coin::ECOIN_STORE_NOT_PUBLISHED` as `error::not_found(5)`: a deposit to an address
/// without a `CoinStore` of the coin.
pub fn coin_store_not_published() -> Abort {
    Abort {
        address: AccountAddress::ONE,
        module: "coin",
        name: "ECOIN_STORE_NOT_PUBLISHED",
        code: 0x60005,
        description: "Account hasn't registered `CoinStore` for `CoinType`",
    }
}

/// Whether the type argument is the native coin `0x1::aptos_coin::AptosCoin` (compared as a
/// parsed type, so any address form of `0x1` matches).
pub fn is_native_coin(t: &TypeTag) -> bool {
    matches!(t, TypeTag::Struct(s) if **s == StructTag::aptos_coin())
}

/// The check `coin::withdraw<T>` makes for a coin other than the native one: nobody holds any,
/// so withdrawing a positive amount aborts `EINSUFFICIENT_BALANCE` (`coin_balance` is 0 and
/// there is no paired fungible asset).
fn check_other_coin_withdraw(amount: u64) -> Result<(), Abort> {
    if amount > 0 {
        return Err(insufficient_balance());
    }
    Ok(())
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

/// `0x1::aptos_account::transfer_coins<CoinType>`: `coin::withdraw` from the sender, then
/// `deposit_coins`, which creates the recipient account if it does not exist. For another coin
/// than the native one the withdrawal of a positive amount aborts as the framework does; a zero
/// amount would make the framework register an empty `CoinStore<CoinType>` at the recipient,
/// which the devnet does not model: it aborts `ECOIN_STORE_NOT_PUBLISHED` instead (documented in
/// `devnet/README.md`).
pub fn transfer_coins(
    state: &mut ChainState,
    fx: &mut Effects,
    coin_type: &TypeTag,
    from: AccountAddress,
    to: AccountAddress,
    amount: u64,
) -> Result<(), ExecFailure> {
    if !is_native_coin(coin_type) {
        check_other_coin_withdraw(amount)?;
        return Err(coin_store_not_published().into());
    }
    check_withdraw(state, &from, amount)?;
    withdraw(state, fx, from, amount);
    state.ensure_account(to);
    deposit(state, fx, to, amount)
}

/// `0x1::coin::transfer<CoinType>`: `withdraw` then `deposit`, which aborts
/// `ECOIN_STORE_NOT_PUBLISHED` when the recipient has no `CoinStore<CoinType>` (on the devnet:
/// is not an account, or the coin is not the native one). Unlike the `aptos_account`
/// functions it creates no account.
pub fn coin_transfer(
    state: &mut ChainState,
    fx: &mut Effects,
    coin_type: &TypeTag,
    from: AccountAddress,
    to: AccountAddress,
    amount: u64,
) -> Result<(), ExecFailure> {
    if !is_native_coin(coin_type) {
        check_other_coin_withdraw(amount)?;
        return Err(coin_store_not_published().into());
    }
    check_withdraw(state, &from, amount)?;
    if !state.accounts.contains_key(&to) {
        return Err(coin_store_not_published().into());
    }
    withdraw(state, fx, from, amount);
    deposit(state, fx, to, amount)
}
