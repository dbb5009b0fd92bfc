//! `computestream::provider_registry`, mirrored.

use computestream_domain::package_rules;
use computestream_domain::AccountAddress;
use serde_json::json;

use super::{abort_codes, coin, move_json, ChainState, Effects, ExecFailure, Provider};

abort_codes!("provider_registry" {
    E_ALREADY_REGISTERED = 1: "The account is already a registered provider.",
    E_NOT_REGISTERED = 2: "The account is not a registered provider.",
    E_ZERO_PRICE = 3: "A price of zero octas per second.",
    E_STAKE_TOO_LOW = 4: "The stake is below the minimum.",
    E_BAD_GPU_TYPE = 5: "The GPU type is empty or longer than 64 bytes.",
    E_ZERO_VRAM = 6: "VRAM of zero GB.",
    E_NOT_ACTIVE = 7: "The provider is not available for new jobs.",
    E_VRAM_TOO_LARGE = 8: "VRAM above `MAX_VRAM_GB` (1,048,576 GB).",
});

const MODULE: &str = "provider_registry";

pub fn register_provider(
    state: &mut ChainState,
    fx: &mut Effects,
    sender: AccountAddress,
    gpu_type: String,
    vram_gb: u64,
    price_per_second: u64,
    stake_amount: u64,
) -> Result<(), ExecFailure> {
    let pkg = state.package;
    package_rules::check_register_provider(&gpu_type, vram_gb, price_per_second, stake_amount)
        .map_err(|r| ExecFailure::from(super::rule_abort(pkg, r)))?;
    if state.providers.contains_key(&sender) {
        return Err(codes::E_ALREADY_REGISTERED(pkg).into());
    }
    coin::check_withdraw(state, &sender, stake_amount)?;

    coin::withdraw(state, fx, sender, stake_amount);
    state.providers.insert(
        sender,
        Provider {
            gpu_type: gpu_type.clone(),
            vram_gb,
            price_per_second,
            stake: stake_amount,
            is_active: true,
        },
    );
    state.provider_order.push(sender);
    let p = move_json::address(&sender);
    fx.emit(&pkg, MODULE, "ProviderRegistered", json!({
        "provider": p, "gpu_type": gpu_type, "vram_gb": move_json::u64(vram_gb),
        "price_per_second": move_json::u64(price_per_second), "stake": move_json::u64(stake_amount),
    }));
    fx.emit(&pkg, MODULE, "Staked", json!({
        "provider": p, "amount": move_json::u64(stake_amount), "total_stake": move_json::u64(stake_amount),
    }));
    Ok(())
}

pub fn update_availability(
    state: &mut ChainState,
    fx: &mut Effects,
    sender: AccountAddress,
    is_active: bool,
) -> Result<(), ExecFailure> {
    let pkg = state.package;
    let p = state
        .providers
        .get_mut(&sender)
        .ok_or_else(|| codes::E_NOT_REGISTERED(pkg))?;
    p.is_active = is_active;
    fx.emit(
        &pkg,
        MODULE,
        "AvailabilityUpdated",
        json!({
            "provider": move_json::address(&sender), "is_active": is_active,
        }),
    );
    Ok(())
}

pub fn update_price(
    state: &mut ChainState,
    fx: &mut Effects,
    sender: AccountAddress,
    price_per_second: u64,
) -> Result<(), ExecFailure> {
    let pkg = state.package;
    if price_per_second == 0 {
        return Err(codes::E_ZERO_PRICE(pkg).into());
    }
    let p = state
        .providers
        .get_mut(&sender)
        .ok_or_else(|| codes::E_NOT_REGISTERED(pkg))?;
    p.price_per_second = price_per_second;
    fx.emit(&pkg, MODULE, "PriceUpdated", json!({
        "provider": move_json::address(&sender), "price_per_second": move_json::u64(price_per_second),
    }));
    Ok(())
}

pub fn unstake(
    state: &mut ChainState,
    fx: &mut Effects,
    sender: AccountAddress,
) -> Result<(), ExecFailure> {
    let pkg = state.package;
    let removed = state
        .providers
        .remove(&sender)
        .ok_or_else(|| codes::E_NOT_REGISTERED(pkg))?;
    state.provider_order.retain(|a| *a != sender);
    coin::deposit(state, fx, sender, removed.stake)?;
    let p = move_json::address(&sender);
    fx.emit(
        &pkg,
        MODULE,
        "AvailabilityUpdated",
        json!({ "provider": p, "is_active": false }),
    );
    fx.emit(
        &pkg,
        MODULE,
        "Unstaked",
        json!({ "provider": p, "amount": move_json::u64(removed.stake) }),
    );
    Ok(())
}

/// `provider_registry::active_price`: the price of a registered, active provider.
pub fn active_price(state: &ChainState, addr: &AccountAddress) -> Result<u64, super::Abort> {
    let pkg = state.package;
    let p = state
        .providers
        .get(addr)
        .ok_or_else(|| codes::E_NOT_REGISTERED(pkg))?;
    if !p.is_active {
        return Err(codes::E_NOT_ACTIVE(pkg));
    }
    Ok(p.price_per_second)
}
