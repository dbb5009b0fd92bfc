#[test_only]
module computestream::provider_registry_tests {
    use std::signer;
    use std::string;
    use aptos_framework::account;
    use aptos_framework::aptos_coin::{Self, AptosCoin};
    use aptos_framework::coin;
    use computestream::provider_registry;

    const ONE_MOVE: u64 = 100_000_000;

    fun setup(framework: &signer, admin: &signer, provider: &signer, balance: u64) {
        let (burn, mint) = aptos_coin::initialize_for_test(framework);
        account::create_account_for_test(signer::address_of(admin));
        account::create_account_for_test(signer::address_of(provider));
        coin::register<AptosCoin>(provider);
        coin::deposit(signer::address_of(provider), coin::mint(balance, &mint));
        coin::destroy_burn_cap(burn);
        coin::destroy_mint_cap(mint);
        provider_registry::init_for_test(admin);
    }

    fun register(provider: &signer, price: u64, stake: u64) {
        provider_registry::register_provider(provider, string::utf8(b"H100"), 80, price, stake);
    }

    #[test(framework = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    fun register_update_unstake(framework: &signer, admin: &signer, provider: &signer) {
        setup(framework, admin, provider, 5 * ONE_MOVE);
        register(provider, 1_000, 2 * ONE_MOVE);
        let (gpu, vram, price, stake, active) = provider_registry::get_provider(@0xb0b);
        assert!(gpu == string::utf8(b"H100"), 1);
        assert!(vram == 80 && price == 1_000 && stake == 2 * ONE_MOVE && active, 2);
        assert!(coin::balance<AptosCoin>(@0xb0b) == 3 * ONE_MOVE, 3);
        provider_registry::update_price(provider, 2_000);
        provider_registry::update_availability(provider, false);
        let (_, _, price, _, active) = provider_registry::get_provider(@0xb0b);
        assert!(price == 2_000 && !active, 4);
        assert!(provider_registry::get_providers(0, 10) == vector[@0xb0b], 5);
        assert!(provider_registry::get_providers(1, 10) == vector[], 6);
        // Any offset and limit: `offset + limit` would overflow here, and is never computed.
        assert!(provider_registry::get_providers(0, 18446744073709551615) == vector[@0xb0b], 9);
        assert!(provider_registry::get_providers(18446744073709551615, 18446744073709551615) == vector[], 10);
        assert!(provider_registry::get_providers(0, 0) == vector[], 11);
        provider_registry::unstake(provider);
        assert!(coin::balance<AptosCoin>(@0xb0b) == 5 * ONE_MOVE, 7);
        assert!(provider_registry::get_providers(0, 10) == vector[], 8);
    }

    #[test(framework = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    #[expected_failure(abort_code = 1, location = computestream::provider_registry)]
    fun registering_twice_aborts(framework: &signer, admin: &signer, provider: &signer) {
        setup(framework, admin, provider, 5 * ONE_MOVE);
        register(provider, 1_000, ONE_MOVE);
        register(provider, 1_000, ONE_MOVE);
    }

    #[test(framework = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    #[expected_failure(abort_code = 3, location = computestream::provider_registry)]
    fun zero_price_aborts(framework: &signer, admin: &signer, provider: &signer) {
        setup(framework, admin, provider, 5 * ONE_MOVE);
        register(provider, 0, ONE_MOVE);
    }

    #[test(framework = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    #[expected_failure(abort_code = 4, location = computestream::provider_registry)]
    fun stake_below_minimum_aborts(framework: &signer, admin: &signer, provider: &signer) {
        setup(framework, admin, provider, 5 * ONE_MOVE);
        register(provider, 1_000, ONE_MOVE - 1);
    }

    #[test(framework = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    #[expected_failure(abort_code = 5, location = computestream::provider_registry)]
    fun empty_gpu_type_aborts(framework: &signer, admin: &signer, provider: &signer) {
        setup(framework, admin, provider, 5 * ONE_MOVE);
        provider_registry::register_provider(provider, string::utf8(b""), 80, 1_000, ONE_MOVE);
    }

    #[test(framework = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    #[expected_failure(abort_code = 2, location = computestream::provider_registry)]
    fun updating_an_unregistered_provider_aborts(framework: &signer, admin: &signer, provider: &signer) {
        setup(framework, admin, provider, 5 * ONE_MOVE);
        provider_registry::update_price(provider, 10);
    }

    #[test(framework = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    #[expected_failure(abort_code = 3, location = computestream::provider_registry)]
    fun updating_to_zero_price_aborts(framework: &signer, admin: &signer, provider: &signer) {
        setup(framework, admin, provider, 5 * ONE_MOVE);
        register(provider, 1_000, ONE_MOVE);
        provider_registry::update_price(provider, 0);
    }

    #[test(framework = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    #[expected_failure(abort_code = 7, location = computestream::provider_registry)]
    fun inactive_provider_has_no_active_price(framework: &signer, admin: &signer, provider: &signer) {
        setup(framework, admin, provider, 5 * ONE_MOVE);
        register(provider, 1_000, ONE_MOVE);
        provider_registry::update_availability(provider, false);
        let _ = provider_registry::active_price(@0xb0b);
    }
}
