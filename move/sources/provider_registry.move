/// GPU providers: listing, price, availability and a locked stake.
module computestream::provider_registry {
    use std::signer;
    use std::string::{Self, String};
    use std::vector;
    use aptos_framework::aptos_coin::AptosCoin;
    use aptos_framework::coin::{Self, Coin};
    use aptos_framework::event;
    use aptos_std::table::{Self, Table};

    /// The account is already a registered provider.
    const E_ALREADY_REGISTERED: u64 = 1;
    /// The account is not a registered provider.
    const E_NOT_REGISTERED: u64 = 2;
    /// A price of zero octas per second.
    const E_ZERO_PRICE: u64 = 3;
    /// The stake is below the minimum.
    const E_STAKE_TOO_LOW: u64 = 4;
    /// The GPU type is empty or longer than 64 bytes.
    const E_BAD_GPU_TYPE: u64 = 5;
    /// VRAM of zero GB.
    const E_ZERO_VRAM: u64 = 6;
    /// The provider is not available for new jobs.
    const E_NOT_ACTIVE: u64 = 7;
    /// VRAM above `MAX_VRAM_GB` (1,048,576 GB).
    const E_VRAM_TOO_LARGE: u64 = 8;

    /// Minimum stake: 1 MOVE.
    const MIN_STAKE: u64 = 100_000_000;
    const MAX_GPU_TYPE_LEN: u64 = 64;
    /// The most VRAM a listing may claim: 1 PiB, in GB (it fits every reader's 32-bit integer).
    const MAX_VRAM_GB: u64 = 1_048_576;

    struct Provider has store {
        gpu_type: String,
        vram_gb: u64,
        price_per_second: u64,
        stake: Coin<AptosCoin>,
        is_active: bool,
    }

    struct Registry has key {
        providers: Table<address, Provider>,
        /// Registration order, for paging through `get_providers`.
        addresses: vector<address>,
    }

    #[event]
    struct ProviderRegistered has drop, store {
        provider: address,
        gpu_type: String,
        vram_gb: u64,
        price_per_second: u64,
        stake: u64,
    }

    #[event]
    struct PriceUpdated has drop, store { provider: address, price_per_second: u64 }

    #[event]
    struct AvailabilityUpdated has drop, store { provider: address, is_active: bool }

    #[event]
    struct Staked has drop, store { provider: address, amount: u64, total_stake: u64 }

    #[event]
    struct Unstaked has drop, store { provider: address, amount: u64 }

    fun init_module(admin: &signer) {
        move_to(admin, Registry { providers: table::new(), addresses: vector::empty() });
    }

    #[test_only]
    public fun init_for_test(admin: &signer) {
        init_module(admin);
    }

    public entry fun register_provider(
        provider: &signer,
        gpu_type: String,
        vram_gb: u64,
        price_per_second: u64,
        stake_amount: u64,
    ) acquires Registry {
        let addr = signer::address_of(provider);
        let len = string::length(&gpu_type);
        assert!(len > 0 && len <= MAX_GPU_TYPE_LEN, E_BAD_GPU_TYPE);
        assert!(vram_gb > 0, E_ZERO_VRAM);
        assert!(vram_gb <= MAX_VRAM_GB, E_VRAM_TOO_LARGE);
        assert!(price_per_second > 0, E_ZERO_PRICE);
        assert!(stake_amount >= MIN_STAKE, E_STAKE_TOO_LOW);
        let reg = borrow_global_mut<Registry>(@computestream);
        assert!(!table::contains(&reg.providers, addr), E_ALREADY_REGISTERED);
        let stake = coin::withdraw<AptosCoin>(provider, stake_amount);
        table::add(&mut reg.providers, addr, Provider {
            gpu_type, vram_gb, price_per_second, stake, is_active: true,
        });
        vector::push_back(&mut reg.addresses, addr);
        event::emit(ProviderRegistered { provider: addr, gpu_type, vram_gb, price_per_second, stake: stake_amount });
        event::emit(Staked { provider: addr, amount: stake_amount, total_stake: stake_amount });
    }

    public entry fun update_availability(provider: &signer, is_active: bool) acquires Registry {
        let addr = signer::address_of(provider);
        let p = borrow_provider_mut(addr);
        p.is_active = is_active;
        event::emit(AvailabilityUpdated { provider: addr, is_active });
    }

    public entry fun update_price(provider: &signer, price_per_second: u64) acquires Registry {
        assert!(price_per_second > 0, E_ZERO_PRICE);
        let addr = signer::address_of(provider);
        let p = borrow_provider_mut(addr);
        p.price_per_second = price_per_second;
        event::emit(PriceUpdated { provider: addr, price_per_second });
    }

    /// Returns the whole stake and leaves the market (the listing is removed).
    public entry fun unstake(provider: &signer) acquires Registry {
        let addr = signer::address_of(provider);
        let reg = borrow_global_mut<Registry>(@computestream);
        assert!(table::contains(&reg.providers, addr), E_NOT_REGISTERED);
        let Provider { gpu_type: _, vram_gb: _, price_per_second: _, stake, is_active: _ } =
            table::remove(&mut reg.providers, addr);
        let (found, idx) = vector::index_of(&reg.addresses, &addr);
        if (found) { vector::remove(&mut reg.addresses, idx); };
        let amount = coin::value(&stake);
        coin::deposit<AptosCoin>(addr, stake);
        event::emit(AvailabilityUpdated { provider: addr, is_active: false });
        event::emit(Unstaked { provider: addr, amount });
    }

    /// Inline: a non-inline function cannot return a reference into global storage (E07004).
    inline fun borrow_provider_mut(addr: address): &mut Provider acquires Registry {
        let reg = borrow_global_mut<Registry>(@computestream);
        assert!(table::contains(&reg.providers, addr), E_NOT_REGISTERED);
        table::borrow_mut(&mut reg.providers, addr)
    }

    /// The price of an active provider; aborts if it is not registered or not active.
    public fun active_price(addr: address): u64 acquires Registry {
        let reg = borrow_global<Registry>(@computestream);
        assert!(table::contains(&reg.providers, addr), E_NOT_REGISTERED);
        let p = table::borrow(&reg.providers, addr);
        assert!(p.is_active, E_NOT_ACTIVE);
        p.price_per_second
    }

    #[view]
    /// `(gpu_type, vram_gb, price_per_second, stake, is_active)`.
    public fun get_provider(addr: address): (String, u64, u64, u64, bool) acquires Registry {
        let reg = borrow_global<Registry>(@computestream);
        assert!(table::contains(&reg.providers, addr), E_NOT_REGISTERED);
        let p = table::borrow(&reg.providers, addr);
        (p.gpu_type, p.vram_gb, p.price_per_second, coin::value(&p.stake), p.is_active)
    }

    #[view]
    /// Provider addresses in registration order, `limit` of them from `offset`. Any
    /// `offset` and `limit` are valid (`offset + limit` is never computed, so it cannot
    /// overflow).
    public fun get_providers(offset: u64, limit: u64): vector<address> acquires Registry {
        let reg = borrow_global<Registry>(@computestream);
        let n = vector::length(&reg.addresses);
        let out = vector::empty<address>();
        let i = offset;
        while (i < n && i - offset < limit) {
            vector::push_back(&mut out, *vector::borrow(&reg.addresses, i));
            i = i + 1;
        };
        out
    }

    #[test_only]
    /// The `ProviderRegistered` event with these fields, to compare with `event::emitted_events` in tests.
    public fun provider_registered_for_test(provider: address, gpu_type: String, vram_gb: u64, price_per_second: u64, stake: u64): ProviderRegistered {
        ProviderRegistered { provider, gpu_type, vram_gb, price_per_second, stake }
    }

    #[test_only]
    /// The `PriceUpdated` event with these fields, to compare with `event::emitted_events` in tests.
    public fun price_updated_for_test(provider: address, price_per_second: u64): PriceUpdated {
        PriceUpdated { provider, price_per_second }
    }

    #[test_only]
    /// The `AvailabilityUpdated` event with these fields, to compare with `event::emitted_events` in tests.
    public fun availability_updated_for_test(provider: address, is_active: bool): AvailabilityUpdated {
        AvailabilityUpdated { provider, is_active }
    }

    #[test_only]
    /// The `Staked` event with these fields, to compare with `event::emitted_events` in tests.
    public fun staked_for_test(provider: address, amount: u64, total_stake: u64): Staked {
        Staked { provider, amount, total_stake }
    }

    #[test_only]
    /// The `Unstaked` event with these fields, to compare with `event::emitted_events` in tests.
    public fun unstaked_for_test(provider: address, amount: u64): Unstaked {
        Unstaked { provider, amount }
    }
}
