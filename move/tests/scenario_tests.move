// Generated from move/scenarios/*.json by `devnet/tests/scenarios.rs`
// (CS_UPDATE_SCHEMAS=1 cargo test -p computestream-devnet --test scenarios). Do not edit.
// The devnet runs the same files through aptos-sdk and also checks every event.
#[test_only]
module computestream::scenario_tests {
    use std::option;
    use std::signer;
    use std::string;
    use std::vector;
    use aptos_framework::account;
    use aptos_framework::aptos_coin::{Self, AptosCoin};
    use aptos_framework::chain_id;
    use aptos_framework::coin;
    use aptos_framework::event;
    use aptos_framework::timestamp;
    use computestream::escrow;
    use computestream::job_registry;
    use computestream::payment_stream;
    use computestream::provider_registry;

    fun setup(framework: &signer, admin: &signer, accounts: vector<address>, funds: vector<u64>): vector<signer> {
        timestamp::set_time_has_started_for_testing(framework);
        chain_id::initialize_for_test(framework, 4);
        let (burn, mint) = aptos_coin::initialize_for_test(framework);
        account::create_account_for_test(signer::address_of(admin));
        provider_registry::init_for_test(admin);
        job_registry::init_for_test(admin);
        escrow::init_for_test(admin);
        payment_stream::init_for_test(admin);
        let signers = vector::empty<signer>();
        let i = 0;
        while (i < vector::length(&accounts)) {
            let addr = *vector::borrow(&accounts, i);
            let s = account::create_account_for_test(addr);
            coin::register<AptosCoin>(&s);
            coin::deposit(addr, coin::mint(*vector::borrow(&funds, i), &mint));
            vector::push_back(&mut signers, s);
            i = i + 1;
        };
        coin::destroy_burn_cap(burn);
        coin::destroy_mint_cap(mint);
        signers
    }

    // Only the provider moves a job to running.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 2, location = computestream::job_registry)]
    fun buyer_cannot_start_a_job_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000, 500000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
        assert!(event::emitted_events<escrow::Deposited>() == vector[escrow::deposited_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000, 60000)], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[job_registry::job_created_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, 1000)], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[payment_stream::stream_opened_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207", 1000, 60000)], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 2, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 2, 1901);
        job_registry::update_job_status(&buyer, 1, 1);
    }

    // A final voucher that the buyer did not sign is refused.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 7, location = computestream::payment_stream)]
    fun close_with_forged_voucher_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, @0xc22bdcefb975bb5280f9a779c98067e9fbc9ac1ee1a5f7f9193e5ee96e086d49], vector[500000000, 500000000, 10000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        let _ = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
        assert!(event::emitted_events<escrow::Deposited>() == vector[escrow::deposited_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000, 60000)], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[job_registry::job_created_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, 1000)], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[payment_stream::stream_opened_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207", 1000, 60000)], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 2, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 3, 1901);
        payment_stream::close_stream(&provider, 1, 60000, x"b34fc3c2a9d307bb2ed45f53486da835d0a0029e1f5126d1e75762f81745c6625f7d76cf63771cd1f699307eda0aab186c01b5fa25a1e193e2f36246ca25f40a");
    }

    // A closed stream cannot be closed again.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 5, location = computestream::payment_stream)]
    fun closing_twice_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000, 500000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
        payment_stream::close_stream(&buyer, 1, 0, vector[]);
        assert!(event::emitted_events<escrow::Deposited>() == vector[escrow::deposited_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000, 60000)], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[escrow::refunded_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000)], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[job_registry::job_created_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, 1000)], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[payment_stream::stream_closed_for_test(1, 0, 0, 60000)], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[payment_stream::stream_opened_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207", 1000, 60000)], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 2, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 3, 1901);
        payment_stream::close_stream(&buyer, 1, 0, vector[]);
    }

    // A terminal status never changes.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 2, location = computestream::job_registry)]
    fun completed_job_is_final_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000, 500000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
        job_registry::update_job_status(&provider, 1, 1);
        job_registry::update_job_status(&provider, 1, 2);
        assert!(event::emitted_events<escrow::Deposited>() == vector[escrow::deposited_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000, 60000)], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[job_registry::job_created_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, 1000)], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[job_registry::job_status_changed_for_test(1, 0, 1, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, option::none(), string::utf8(b""), option::none(), option::none()), job_registry::job_status_changed_for_test(1, 1, 2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, option::none(), string::utf8(b""), option::none(), option::none())], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[payment_stream::stream_opened_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207", 1000, 60000)], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 2, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 2, 1901);
        job_registry::update_job_status(&buyer, 1, 4);
    }

    // A price of 2^63 octas per second for two seconds would cost 2^64: creation aborts with job_registry::E_COST_OVERFLOW before any coin moves.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 9, location = computestream::job_registry)]
    fun cost_past_u64_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000, 500000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 9223372036854775808, 100000000);
        assert!(event::emitted_events<escrow::Deposited>() == vector[], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 9223372036854775808, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 1, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 2, 1901);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 2, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
    }

    // A closed escrow takes no more deposits (they could never be paid out or refunded).
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 6, location = computestream::escrow)]
    fun deposit_after_close_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000, 500000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
        payment_stream::close_stream(&buyer, 1, 0, vector[]);
        assert!(event::emitted_events<escrow::Deposited>() == vector[escrow::deposited_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000, 60000)], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[escrow::refunded_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000)], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[job_registry::job_created_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, 1000)], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[payment_stream::stream_closed_for_test(1, 0, 0, 60000)], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[payment_stream::stream_opened_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207", 1000, 60000)], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 2, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 3, 1901);
        escrow::deposit(&buyer, 1, 1000);
    }

    // A top-up that would take the escrow's total past u64::MAX aborts with escrow::E_DEPOSIT_OVERFLOW (checked before any coin moves), so `deposited` never overflows.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 7, location = computestream::escrow)]
    fun deposit_past_u64_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000, 500000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
        assert!(event::emitted_events<escrow::Deposited>() == vector[escrow::deposited_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000, 60000)], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[job_registry::job_created_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, 1000)], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[payment_stream::stream_opened_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207", 1000, 60000)], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 2, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 2, 1901);
        escrow::deposit(&buyer, 1, 18446744073709491616);
    }

    // A job asking for the largest u64 as its maximum duration is refused at creation (job_registry::E_DURATION_TOO_LONG), so no stream can hold an `opened_at + max_duration_secs` that overflows.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 8, location = computestream::job_registry)]
    fun duration_of_u64_max_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000, 500000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        assert!(event::emitted_events<escrow::Deposited>() == vector[], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 1, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 2, 1901);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 18446744073709551615, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
    }

    // MAX_DURATION_SECS + 1 (365 days and a second) is refused with job_registry::E_DURATION_TOO_LONG.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 8, location = computestream::job_registry)]
    fun duration_one_past_the_maximum_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000, 500000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        assert!(event::emitted_events<escrow::Deposited>() == vector[], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 1, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 2, 1901);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 31536001, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
    }

    // The buyer cancels a running job and closes the stream with its last voucher: the provider is paid for what was vouchered, the buyer gets the rest back.
    #[test(framework = @aptos_framework, admin = @computestream)]
    fun early_termination_refunds_the_buyer(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000, 500000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
        job_registry::update_job_status(&provider, 1, 1);
        job_registry::update_job_status(&buyer, 1, 4);
        payment_stream::close_stream(&buyer, 1, 5000, x"40dd6d5002608f315ee1048f136ec6c50ee5bd7745c45b3e9da36da2a963d9f8d343509fe1ff8e72b4cffc4507c6395f967fdc600d5676e2700d341f1fe7240c");
        assert!(event::emitted_events<escrow::Deposited>() == vector[escrow::deposited_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000, 60000)], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[escrow::refunded_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 55000)], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[escrow::released_for_test(1, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 5000, 5000)], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[job_registry::job_created_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, 1000)], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[job_registry::job_status_changed_for_test(1, 0, 1, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, option::none(), string::utf8(b""), option::none(), option::none()), job_registry::job_status_changed_for_test(1, 1, 4, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, option::none(), string::utf8(b""), option::none(), option::none())], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[payment_stream::stream_closed_for_test(1, 5000, 5000, 55000)], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[payment_stream::stream_opened_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207", 1000, 60000)], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 2, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 4, 1901);
        assert!(coin::balance<AptosCoin>(@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2) == 499995000, 0);
        assert!(coin::balance<AptosCoin>(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf) == 400005000, 0);
    }

    // The escrow must cover at least one second at the provider's price.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 4, location = computestream::job_registry)]
    fun escrow_below_one_second_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000, 500000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        assert!(event::emitted_events<escrow::Deposited>() == vector[], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 1, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 2, 1901);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 999, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
    }

    // Evidence of a running job is refused with job_registry::E_NOT_ENDED.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 11, location = computestream::job_registry)]
    fun evidence_before_the_job_ended_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000, 500000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
        job_registry::update_job_status(&provider, 1, 1);
        assert!(event::emitted_events<escrow::Deposited>() == vector[escrow::deposited_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000, 60000)], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[job_registry::job_created_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, 1000)], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[job_registry::job_status_changed_for_test(1, 0, 1, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, option::none(), string::utf8(b""), option::none(), option::none())], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[payment_stream::stream_opened_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207", 1000, 60000)], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 2, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 2, 1901);
        job_registry::commit_evidence(&provider, 1, x"abababababababababababababababababababababababababababababababab", 5);
    }

    // Evidence is committed once: a second commitment aborts with job_registry::E_EVIDENCE_EXISTS.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 13, location = computestream::job_registry)]
    fun evidence_committed_twice_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000, 500000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
        job_registry::update_job_status(&provider, 1, 1);
        job_registry::update_job_status(&buyer, 1, 4);
        job_registry::commit_evidence(&provider, 1, x"abababababababababababababababababababababababababababababababab", 5);
        assert!(event::emitted_events<escrow::Deposited>() == vector[escrow::deposited_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000, 60000)], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[job_registry::evidence_committed_for_test(1, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"abababababababababababababababababababababababababababababababab", 5)], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[job_registry::job_created_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, 1000)], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[job_registry::job_status_changed_for_test(1, 0, 1, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, option::none(), string::utf8(b""), option::none(), option::none()), job_registry::job_status_changed_for_test(1, 1, 4, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, option::none(), string::utf8(b""), option::none(), option::none())], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[payment_stream::stream_opened_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207", 1000, 60000)], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 2, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 2, 1901);
        job_registry::commit_evidence(&provider, 1, x"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd", 6);
    }

    // The provider ends a job it ran with its outcome and the head of its metering chain and the seconds metered, in one transaction; the close pays the final voucher.
    #[test(framework = @aptos_framework, admin = @computestream)]
    fun evidence_committed_with_the_outcome(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000, 500000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
        job_registry::update_job_status(&provider, 1, 1);
        job_registry::report_outcome_with_evidence(&provider, 1, 2, 0, string::utf8(b""), string::utf8(b""), string::utf8(b""), x"abababababababababababababababababababababababababababababababab", 40);
        payment_stream::close_stream(&provider, 1, 40000, x"204e601ec8545bdaa605fb6e539c8931568dd853fbfa9ce84931c3c3b779121f953288e295556e2e50f2befdf2da1ab31c26e421f2c7ea5d1541ff8d22e8940e");
        assert!(event::emitted_events<escrow::Deposited>() == vector[escrow::deposited_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000, 60000)], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[escrow::refunded_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 20000)], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[escrow::released_for_test(1, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 40000, 40000)], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[job_registry::evidence_committed_for_test(1, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"abababababababababababababababababababababababababababababababab", 40)], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[job_registry::job_created_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, 1000)], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[job_registry::job_status_changed_for_test(1, 0, 1, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, option::none(), string::utf8(b""), option::none(), option::none()), job_registry::job_status_changed_for_test(1, 1, 2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, option::some(0), string::utf8(b""), option::none(), option::none())], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[payment_stream::stream_closed_for_test(1, 40000, 40000, 20000)], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[payment_stream::stream_opened_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207", 1000, 60000)], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 2, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 4, 1901);
        assert!(coin::balance<AptosCoin>(@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2) == 499960000, 0);
        assert!(coin::balance<AptosCoin>(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf) == 400040000, 0);
    }

    // Only the job's provider commits its evidence: the buyer gets job_registry::E_NOT_PROVIDER.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 10, location = computestream::job_registry)]
    fun evidence_from_the_buyer_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000, 500000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
        job_registry::update_job_status(&provider, 1, 1);
        job_registry::update_job_status(&buyer, 1, 4);
        assert!(event::emitted_events<escrow::Deposited>() == vector[escrow::deposited_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000, 60000)], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[job_registry::job_created_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, 1000)], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[job_registry::job_status_changed_for_test(1, 0, 1, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, option::none(), string::utf8(b""), option::none(), option::none()), job_registry::job_status_changed_for_test(1, 1, 4, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, option::none(), string::utf8(b""), option::none(), option::none())], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[payment_stream::stream_opened_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207", 1000, 60000)], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 2, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 2, 1901);
        job_registry::commit_evidence(&buyer, 1, x"abababababababababababababababababababababababababababababababab", 5);
    }

    // The buyer cancels; the provider then commits the evidence of the seconds it served.
    #[test(framework = @aptos_framework, admin = @computestream)]
    fun evidence_of_a_cancelled_job_is_committed_after_the_cancellation(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000, 500000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
        job_registry::update_job_status(&provider, 1, 1);
        job_registry::update_job_status(&buyer, 1, 4);
        job_registry::commit_evidence(&provider, 1, x"abababababababababababababababababababababababababababababababab", 5);
        assert!(event::emitted_events<escrow::Deposited>() == vector[escrow::deposited_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000, 60000)], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[job_registry::evidence_committed_for_test(1, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"abababababababababababababababababababababababababababababababab", 5)], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[job_registry::job_created_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, 1000)], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[job_registry::job_status_changed_for_test(1, 0, 1, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, option::none(), string::utf8(b""), option::none(), option::none()), job_registry::job_status_changed_for_test(1, 1, 4, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, option::none(), string::utf8(b""), option::none(), option::none())], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[payment_stream::stream_opened_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207", 1000, 60000)], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 2, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 2, 1901);
        assert!(coin::balance<AptosCoin>(@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2) == 499940000, 0);
        assert!(coin::balance<AptosCoin>(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf) == 400000000, 0);
    }

    // A metering head of 31 bytes is refused with job_registry::E_BAD_EVIDENCE.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 12, location = computestream::job_registry)]
    fun evidence_with_a_short_head_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000, 500000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
        job_registry::update_job_status(&provider, 1, 1);
        job_registry::update_job_status(&buyer, 1, 4);
        assert!(event::emitted_events<escrow::Deposited>() == vector[escrow::deposited_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000, 60000)], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[job_registry::job_created_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, 1000)], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[job_registry::job_status_changed_for_test(1, 0, 1, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, option::none(), string::utf8(b""), option::none(), option::none()), job_registry::job_status_changed_for_test(1, 1, 4, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, option::none(), string::utf8(b""), option::none(), option::none())], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[payment_stream::stream_opened_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207", 1000, 60000)], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 2, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 2, 1901);
        job_registry::commit_evidence(&provider, 1, x"ababababababababababababababababababababababababababababababab", 5);
    }

    // After the job's maximum duration anyone may close its stream; with no final voucher the whole escrow goes back to the buyer.
    #[test(framework = @aptos_framework, admin = @computestream)]
    fun expired_stream_is_closable_by_anyone(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, @0xc22bdcefb975bb5280f9a779c98067e9fbc9ac1ee1a5f7f9193e5ee96e086d49], vector[500000000, 500000000, 10000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        let stranger = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
        timestamp::fast_forward_seconds(61);
        payment_stream::close_stream(&stranger, 1, 0, vector[]);
        assert!(event::emitted_events<escrow::Deposited>() == vector[escrow::deposited_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000, 60000)], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[escrow::refunded_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000)], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[job_registry::job_created_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, 1000)], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[payment_stream::stream_closed_for_test(1, 0, 0, 60000)], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[payment_stream::stream_opened_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207", 1000, 60000)], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 2, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 4, 1901);
        assert!(coin::balance<AptosCoin>(@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2) == 500000000, 0);
        assert!(coin::balance<AptosCoin>(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf) == 400000000, 0);
        assert!(coin::balance<AptosCoin>(@0xc22bdcefb975bb5280f9a779c98067e9fbc9ac1ee1a5f7f9193e5ee96e086d49) == 10000000, 0);
    }

    // The buyer names a session key (not its account's key) as the voucher key in create_job: vouchers signed by it are paid, one signed by the buyer's own account key is rejected, and the close pays the session key's newest voucher.
    #[test(framework = @aptos_framework, admin = @computestream)]
    fun job_paid_with_a_session_voucher_key(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, @0xc22bdcefb975bb5280f9a779c98067e9fbc9ac1ee1a5f7f9193e5ee96e086d49], vector[500000000, 500000000, 10000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        let stranger = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, x"4e6008b01b74e49e38d8b11392bfaccc7b5bff86ca2048cbb0f783633a61e2dd");
        payment_stream::settle_batch(&stranger, vector[1], vector[5000], vector[x"0929c737ce25814e778da4e1d6d84b84bd0136614e0a940b3828b62a4ee6f463e244f2680f0b9d624d015bf49b832f418fb0a8ecaf8dfdd060be3e9548703b07"]);
        payment_stream::settle_batch(&stranger, vector[1], vector[6000], vector[x"652a8816da988a7dc18dd6be312fc7e38b4b01349f921491a32472e9dcead8864ab2ac17679454fb580a4a074c5f0886f1e8c8ba131d3fc1baff3d12a0f39302"]);
        payment_stream::close_stream(&provider, 1, 8000, x"2f7c649c27701890d37d0432d3363f69d6988f9bec805bc1deda07fb0a89807c0e162bfed8b7b8c5809b68f01d67236a9f6cb2c8d8b2bb0490c935dce0c8f301");
        assert!(event::emitted_events<escrow::Deposited>() == vector[escrow::deposited_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000, 60000)], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[escrow::refunded_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 52000)], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[escrow::released_for_test(1, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 5000, 5000), escrow::released_for_test(1, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 3000, 8000)], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[job_registry::job_created_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, 1000)], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[payment_stream::stream_closed_for_test(1, 3000, 8000, 52000)], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[payment_stream::stream_opened_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"4e6008b01b74e49e38d8b11392bfaccc7b5bff86ca2048cbb0f783633a61e2dd", 1000, 60000)], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[payment_stream::stream_settled_for_test(1, 5000, 5000, 5000)], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[payment_stream::voucher_rejected_for_test(1, 6000, 3)], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 2, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 6, 1901);
        assert!(coin::balance<AptosCoin>(@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2) == 499992000, 0);
        assert!(coin::balance<AptosCoin>(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf) == 400008000, 0);
        assert!(coin::balance<AptosCoin>(@0xc22bdcefb975bb5280f9a779c98067e9fbc9ac1ee1a5f7f9193e5ee96e086d49) == 10000000, 0);
    }

    // A funded job runs, a settler redeems vouchers in batches (a repeated voucher pays nothing; a forged one and an unknown stream are rejected without aborting the batch), the provider completes the job with its outputs, and the settler closes the stream with the final voucher: the provider gets exactly the final voucher and the buyer the rest.
    #[test(framework = @aptos_framework, admin = @computestream)]
    fun job_settled_in_batches_and_completed(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, @0x6b5a967f7b59d00a7fd7fa62e16afc1de1cbde0d4886f02953c31634c6509a97, @0xc22bdcefb975bb5280f9a779c98067e9fbc9ac1ee1a5f7f9193e5ee96e086d49], vector[500000000, 500000000, 10000000, 10000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        let settler = vector::remove(&mut signers, 0);
        let _ = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 100000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
        escrow::deposit(&buyer, 1, 20000);
        job_registry::update_job_status(&provider, 1, 1);
        payment_stream::settle_batch(&settler, vector[1], vector[10000], vector[x"616213f89ac99bbf62d0b8b41faa0571e86795e3c58dcb0dcbcb10bf4a1290c7d9daf81ba50ef44f782bcf0a100788d5326c0a50c40f55c9772a0a5fc983440e"]);
        payment_stream::settle_batch(&settler, vector[1, 1, 7], vector[10000, 25000, 5000], vector[x"616213f89ac99bbf62d0b8b41faa0571e86795e3c58dcb0dcbcb10bf4a1290c7d9daf81ba50ef44f782bcf0a100788d5326c0a50c40f55c9772a0a5fc983440e", x"da2e74901f35d6899ec9588feadd4d7eabce008d6e720df0b50a03c485b4d5ffb6ed31cb7e56017730838677c95cd9e62b7bbdd1f79474baeb5e547d6d59ef09", x"10d3f42852cacf113b696abbd66c2c00ca61d83772a5f9f3778a6106ec8a56ec6e8edaae886c28131478b7db3aec53d4f58b0f2da1a11afec603500093ca7001"]);
        job_registry::report_outcome(&provider, 1, 2, 0, string::utf8(b""), string::utf8(b"file:///outputs/1"), string::utf8(b"bafkreiexample"));
        payment_stream::close_stream(&settler, 1, 30000, x"30a07b213c1bb839fc4ff1fc4c97b6f32626e3b6f9e62560b941da38f3c662cf41f3986d427042a0b77586f95e6f2fd0b86f787127d0358c953bfb613fe53103");
        assert!(event::emitted_events<escrow::Deposited>() == vector[escrow::deposited_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 100000, 100000), escrow::deposited_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 20000, 120000)], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[escrow::refunded_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 90000)], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[escrow::released_for_test(1, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 10000, 10000), escrow::released_for_test(1, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 20000, 30000)], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[job_registry::job_created_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 100000, 1000)], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[job_registry::job_status_changed_for_test(1, 0, 1, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, option::none(), string::utf8(b""), option::none(), option::none()), job_registry::job_status_changed_for_test(1, 1, 2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, option::some(0), string::utf8(b""), option::some(string::utf8(b"file:///outputs/1")), option::some(string::utf8(b"bafkreiexample")))], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[payment_stream::stream_closed_for_test(1, 20000, 30000, 90000)], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[payment_stream::stream_opened_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207", 1000, 100000)], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[payment_stream::stream_settled_for_test(1, 10000, 10000, 10000), payment_stream::stream_settled_for_test(1, 10000, 0, 10000)], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[payment_stream::voucher_rejected_for_test(1, 25000, 3), payment_stream::voucher_rejected_for_test(7, 5000, 1)], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 3, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 7, 1901);
        assert!(coin::balance<AptosCoin>(@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2) == 499970000, 0);
        assert!(coin::balance<AptosCoin>(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf) == 400030000, 0);
        assert!(coin::balance<AptosCoin>(@0x6b5a967f7b59d00a7fd7fa62e16afc1de1cbde0d4886f02953c31634c6509a97) == 10000000, 0);
        assert!(coin::balance<AptosCoin>(@0xc22bdcefb975bb5280f9a779c98067e9fbc9ac1ee1a5f7f9193e5ee96e086d49) == 10000000, 0);
    }

    // No job can be created with a provider that is not available.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 7, location = computestream::provider_registry)]
    fun job_with_inactive_provider_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000, 500000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        provider_registry::update_availability(&provider, false);
        assert!(event::emitted_events<escrow::Deposited>() == vector[], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[provider_registry::availability_updated_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, false)], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 1, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 2, 1901);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
    }

    // A voucher key of 31 bytes is refused at stream open with payment_stream::E_BAD_BUYER_KEY.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 4, location = computestream::payment_stream)]
    fun job_with_short_voucher_key_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000, 500000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        assert!(event::emitted_events<escrow::Deposited>() == vector[], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 1, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 2, 1901);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, x"e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5");
    }

    // A voucher key that is a point of small order (here the identity, 0x01 then 31 zero bytes) is refused at stream open with payment_stream::E_BAD_BUYER_KEY: no signature could ever verify against it.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 4, location = computestream::payment_stream)]
    fun job_with_small_order_voucher_key_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000, 500000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        assert!(event::emitted_events<escrow::Deposited>() == vector[], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 1, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 2, 1901);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, x"0100000000000000000000000000000000000000000000000000000000000000");
    }

    // The highest price whose maximum cost (price * MAX_DURATION_SECS) still fits in a u64 is accepted; a voucher for u64::MAX pays only the escrow, and the close after it pays nothing more.
    #[test(framework = @aptos_framework, admin = @computestream)]
    fun largest_cost_that_fits_pays_at_most_the_escrow(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, @0xc22bdcefb975bb5280f9a779c98067e9fbc9ac1ee1a5f7f9193e5ee96e086d49], vector[1000000000000, 500000000, 10000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        let stranger = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 584942417355, 100000000);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 31536000, 584942417355, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
        payment_stream::settle_batch(&stranger, vector[1], vector[18446744073709551615], vector[x"66c132ff3b26532e4fe603c5d3670018a4d39714572e0d0d5af76b64554877714be682a5564985ccbe53198d3502ed29d9e6c948a698b739858afc6882875008"]);
        payment_stream::close_stream(&buyer, 1, 18446744073709551615, x"66c132ff3b26532e4fe603c5d3670018a4d39714572e0d0d5af76b64554877714be682a5564985ccbe53198d3502ed29d9e6c948a698b739858afc6882875008");
        assert!(event::emitted_events<escrow::Deposited>() == vector[escrow::deposited_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 584942417355, 584942417355)], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[escrow::released_for_test(1, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 584942417355, 584942417355)], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[job_registry::job_created_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 31536000, 584942417355, 584942417355)], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[payment_stream::stream_closed_for_test(1, 0, 584942417355, 0)], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[payment_stream::stream_opened_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207", 584942417355, 584942417355)], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[payment_stream::stream_settled_for_test(1, 18446744073709551615, 584942417355, 584942417355)], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 584942417355, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 2, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 4, 1901);
        assert!(coin::balance<AptosCoin>(@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2) == 415057582645, 0);
        assert!(coin::balance<AptosCoin>(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf) == 585342417355, 0);
        assert!(coin::balance<AptosCoin>(@0xc22bdcefb975bb5280f9a779c98067e9fbc9ac1ee1a5f7f9193e5ee96e086d49) == 10000000, 0);
    }

    // The largest values the package takes: VRAM of MAX_VRAM_GB, an exit code of u64::MAX and a voucher for u64::MAX (paid up to the escrow); the events carry them exactly.
    #[test(framework = @aptos_framework, admin = @computestream)]
    fun largest_values_are_kept_exactly(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000, 500000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 1048576, 1000, 100000000);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
        job_registry::update_job_status(&provider, 1, 1);
        job_registry::report_outcome(&provider, 1, 2, 18446744073709551615, string::utf8(b"done"), string::utf8(b"file:///out/1"), string::utf8(b"bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"));
        payment_stream::close_stream(&provider, 1, 18446744073709551615, x"66c132ff3b26532e4fe603c5d3670018a4d39714572e0d0d5af76b64554877714be682a5564985ccbe53198d3502ed29d9e6c948a698b739858afc6882875008");
        assert!(event::emitted_events<escrow::Deposited>() == vector[escrow::deposited_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000, 60000)], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[escrow::released_for_test(1, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 60000, 60000)], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[job_registry::job_created_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, 1000)], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[job_registry::job_status_changed_for_test(1, 0, 1, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, option::none(), string::utf8(b""), option::none(), option::none()), job_registry::job_status_changed_for_test(1, 1, 2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, option::some(18446744073709551615), string::utf8(b"done"), option::some(string::utf8(b"file:///out/1")), option::some(string::utf8(b"bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy")))], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[payment_stream::stream_closed_for_test(1, 60000, 60000, 0)], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[payment_stream::stream_opened_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207", 1000, 60000)], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 1048576, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 2, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 3, 1901);
        assert!(coin::balance<AptosCoin>(@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2) == 499940000, 0);
        assert!(coin::balance<AptosCoin>(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf) == 400060000, 0);
    }

    // A job of exactly MAX_DURATION_SECS: the buyer cancels it and a stranger closes its stream; the whole escrow goes back to the buyer (the close never computes opened_at + max_duration_secs).
    #[test(framework = @aptos_framework, admin = @computestream)]
    fun longest_job_cancelled_is_closed_by_anyone(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, @0xc22bdcefb975bb5280f9a779c98067e9fbc9ac1ee1a5f7f9193e5ee96e086d49], vector[500000000, 500000000, 10000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        let stranger = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 31536000, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
        job_registry::update_job_status(&buyer, 1, 4);
        payment_stream::close_stream(&stranger, 1, 0, vector[]);
        assert!(event::emitted_events<escrow::Deposited>() == vector[escrow::deposited_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000, 60000)], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[escrow::refunded_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000)], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[job_registry::job_created_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 31536000, 60000, 1000)], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[job_registry::job_status_changed_for_test(1, 0, 4, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, option::none(), string::utf8(b""), option::none(), option::none())], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[payment_stream::stream_closed_for_test(1, 0, 0, 60000)], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[payment_stream::stream_opened_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207", 1000, 60000)], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 2, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 4, 1901);
        assert!(coin::balance<AptosCoin>(@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2) == 500000000, 0);
        assert!(coin::balance<AptosCoin>(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf) == 400000000, 0);
        assert!(coin::balance<AptosCoin>(@0xc22bdcefb975bb5280f9a779c98067e9fbc9ac1ee1a5f7f9193e5ee96e086d49) == 10000000, 0);
    }

    // A job of exactly MAX_DURATION_SECS is closable by anyone once exactly that many seconds have passed; the provider's newest voucher is paid and the rest refunded.
    #[test(framework = @aptos_framework, admin = @computestream)]
    fun longest_job_expires_at_its_maximum_duration(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, @0xc22bdcefb975bb5280f9a779c98067e9fbc9ac1ee1a5f7f9193e5ee96e086d49], vector[500000000, 500000000, 10000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        let stranger = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 31536000, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
        timestamp::fast_forward_seconds(31536000);
        payment_stream::close_stream(&stranger, 1, 7000, x"f7d534b33f404826d50f4f8cb1612b00a9af46c70e882f2ed5623994a8553127e31eb7648bca35b95041c97b50815007b8db85905b7e37c1bb271c2422d06a07");
        assert!(event::emitted_events<escrow::Deposited>() == vector[escrow::deposited_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000, 60000)], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[escrow::refunded_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 53000)], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[escrow::released_for_test(1, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 7000, 7000)], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[job_registry::job_created_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 31536000, 60000, 1000)], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[payment_stream::stream_closed_for_test(1, 7000, 7000, 53000)], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[payment_stream::stream_opened_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207", 1000, 60000)], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 2, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 5, 1901);
        assert!(coin::balance<AptosCoin>(@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2) == 499993000, 0);
        assert!(coin::balance<AptosCoin>(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf) == 400007000, 0);
        assert!(coin::balance<AptosCoin>(@0xc22bdcefb975bb5280f9a779c98067e9fbc9ac1ee1a5f7f9193e5ee96e086d49) == 10000000, 0);
    }

    // Reporting an outcome with more metered seconds than the job's maximum duration aborts with job_registry::E_BAD_EVIDENCE, and the outcome is not recorded either (one transaction).
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 12, location = computestream::job_registry)]
    fun outcome_with_evidence_past_the_maximum_duration_aborts_whole(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000, 500000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
        job_registry::update_job_status(&provider, 1, 1);
        assert!(event::emitted_events<escrow::Deposited>() == vector[escrow::deposited_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000, 60000)], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[job_registry::job_created_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, 1000)], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[job_registry::job_status_changed_for_test(1, 0, 1, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, option::none(), string::utf8(b""), option::none(), option::none())], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[payment_stream::stream_opened_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207", 1000, 60000)], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 2, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 2, 1901);
        job_registry::report_outcome_with_evidence(&provider, 1, 2, 0, string::utf8(b""), string::utf8(b""), string::utf8(b""), x"abababababababababababababababababababababababababababababababab", 61);
    }

    // A provider registers with a stake, changes price and availability, and unstakes: the stake comes back in full.
    #[test(framework = @aptos_framework, admin = @computestream)]
    fun provider_lifecycle(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000]);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        provider_registry::update_price(&provider, 2000);
        provider_registry::update_availability(&provider, false);
        provider_registry::update_availability(&provider, true);
        provider_registry::unstake(&provider);
        assert!(event::emitted_events<escrow::Deposited>() == vector[], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[provider_registry::availability_updated_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, false), provider_registry::availability_updated_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, true), provider_registry::availability_updated_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, false)], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[provider_registry::price_updated_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 2000)], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[provider_registry::unstaked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000)], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 1, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 2, 1901);
        assert!(coin::balance<AptosCoin>(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf) == 500000000, 0);
    }

    // A provider cannot register twice.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 1, location = computestream::provider_registry)]
    fun registering_twice_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000]);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        assert!(event::emitted_events<escrow::Deposited>() == vector[], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 1, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 1, 1901);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
    }

    // The three vectors of a batch must have the same length.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 3, location = computestream::payment_stream)]
    fun settle_batch_length_mismatch_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0x6b5a967f7b59d00a7fd7fa62e16afc1de1cbde0d4886f02953c31634c6509a97], vector[10000000]);
        let settler = vector::remove(&mut signers, 0);
        assert!(event::emitted_events<escrow::Deposited>() == vector[], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 0, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 1, 1901);
        payment_stream::settle_batch(&settler, vector[1], vector[], vector[]);
    }

    // The stake must be at least 1 MOVE.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 4, location = computestream::provider_registry)]
    fun stake_below_minimum_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000]);
        let provider = vector::remove(&mut signers, 0);
        assert!(event::emitted_events<escrow::Deposited>() == vector[], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 0, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 1, 1901);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 99999999);
    }

    // Before the job ends or expires, only its buyer or provider may close the stream.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 6, location = computestream::payment_stream)]
    fun stranger_cannot_close_early_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, @0xc22bdcefb975bb5280f9a779c98067e9fbc9ac1ee1a5f7f9193e5ee96e086d49], vector[500000000, 500000000, 10000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        let stranger = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
        assert!(event::emitted_events<escrow::Deposited>() == vector[escrow::deposited_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, 60000, 60000)], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[job_registry::job_created_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, 1000)], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[payment_stream::stream_opened_for_test(1, @0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207", 1000, 60000)], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 2, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 3, 1901);
        payment_stream::close_stream(&stranger, 1, 0, vector[]);
    }

    // A listing that claims more than MAX_VRAM_GB (1,048,576 GB) is refused with provider_registry::E_VRAM_TOO_LARGE.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 8, location = computestream::provider_registry)]
    fun vram_above_the_maximum_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000]);
        let provider = vector::remove(&mut signers, 0);
        assert!(event::emitted_events<escrow::Deposited>() == vector[], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 0, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 1, 1901);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 1048577, 1000, 100000000);
    }

    // A price of zero is refused.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 3, location = computestream::provider_registry)]
    fun zero_price_update_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000]);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        assert!(event::emitted_events<escrow::Deposited>() == vector[], 1000);
        assert!(event::emitted_events<escrow::Refunded>() == vector[], 1001);
        assert!(event::emitted_events<escrow::Released>() == vector[], 1002);
        assert!(event::emitted_events<job_registry::EvidenceCommitted>() == vector[], 1003);
        assert!(event::emitted_events<job_registry::JobCreated>() == vector[], 1004);
        assert!(event::emitted_events<job_registry::JobStatusChanged>() == vector[], 1005);
        assert!(event::emitted_events<payment_stream::StreamClosed>() == vector[], 1006);
        assert!(event::emitted_events<payment_stream::StreamOpened>() == vector[], 1007);
        assert!(event::emitted_events<payment_stream::StreamSettled>() == vector[], 1008);
        assert!(event::emitted_events<payment_stream::VoucherRejected>() == vector[], 1009);
        assert!(event::emitted_events<provider_registry::AvailabilityUpdated>() == vector[], 1010);
        assert!(event::emitted_events<provider_registry::PriceUpdated>() == vector[], 1011);
        assert!(event::emitted_events<provider_registry::ProviderRegistered>() == vector[provider_registry::provider_registered_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"H100"), 80, 1000, 100000000)], 1012);
        assert!(event::emitted_events<provider_registry::Staked>() == vector[provider_registry::staked_for_test(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, 100000000, 100000000)], 1013);
        assert!(event::emitted_events<provider_registry::Unstaked>() == vector[], 1014);
        assert!(vector::length(&event::emitted_events<coin::CoinWithdraw>()) == 1, 1900);
        assert!(vector::length(&event::emitted_events<coin::CoinDeposit>()) == 1, 1901);
        provider_registry::update_price(&provider, 0);
    }
}
