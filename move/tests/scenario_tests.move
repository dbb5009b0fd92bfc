// Generated from move/scenarios/*.json by `devnet/tests/scenarios.rs`
// (CS_UPDATE_SCHEMAS=1 cargo test -p computestream-devnet --test scenarios). Do not edit.
// The devnet runs the same files through aptos-sdk and also checks every event.
#[test_only]
module computestream::scenario_tests {
    use std::signer;
    use std::string;
    use std::vector;
    use aptos_framework::account;
    use aptos_framework::aptos_coin::{Self, AptosCoin};
    use aptos_framework::chain_id;
    use aptos_framework::coin;
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
        job_registry::update_job_status(&buyer, 1, 4);
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
        escrow::deposit(&buyer, 1, 1000);
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
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 999, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
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
        assert!(coin::balance<AptosCoin>(@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2) == 500000000, 0);
        assert!(coin::balance<AptosCoin>(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf) == 400000000, 0);
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
        assert!(coin::balance<AptosCoin>(@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2) == 499970000, 0);
        assert!(coin::balance<AptosCoin>(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf) == 400030000, 0);
        assert!(coin::balance<AptosCoin>(@0x6b5a967f7b59d00a7fd7fa62e16afc1de1cbde0d4886f02953c31634c6509a97) == 10000000, 0);
        assert!(coin::balance<AptosCoin>(@0xc22bdcefb975bb5280f9a779c98067e9fbc9ac1ee1a5f7f9193e5ee96e086d49) == 10000000, 0);
    }

    // The voucher key recorded at stream open must be the buyer's own key.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 4, location = computestream::payment_stream)]
    fun job_with_foreign_voucher_key_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0xc4370ea7da68a98806ce9a27ca50746f0f28d5c2c1e3592a6cbef44efa4fccc2, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, @0xc22bdcefb975bb5280f9a779c98067e9fbc9ac1ee1a5f7f9193e5ee96e086d49], vector[500000000, 500000000, 10000000]);
        let buyer = vector::remove(&mut signers, 0);
        let provider = vector::remove(&mut signers, 0);
        let _ = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, x"ed3234b276d4ceda57d59bad14fbaf5a773c0f318c999de3a60d53c5a5b34c05");
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
        job_registry::create_job(&buyer, @0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf, string::utf8(b"computestream/busybox:latest"), 60, 60000, x"55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207");
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
        assert!(coin::balance<AptosCoin>(@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf) == 500000000, 0);
    }

    // A provider cannot register twice.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 1, location = computestream::provider_registry)]
    fun registering_twice_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000]);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
    }

    // The three vectors of a batch must have the same length.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 3, location = computestream::payment_stream)]
    fun settle_batch_length_mismatch_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0x6b5a967f7b59d00a7fd7fa62e16afc1de1cbde0d4886f02953c31634c6509a97], vector[10000000]);
        let settler = vector::remove(&mut signers, 0);
        payment_stream::settle_batch(&settler, vector[1], vector[], vector[]);
    }

    // The stake must be at least 1 MOVE.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 4, location = computestream::provider_registry)]
    fun stake_below_minimum_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000]);
        let provider = vector::remove(&mut signers, 0);
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
        payment_stream::close_stream(&stranger, 1, 0, vector[]);
    }

    // A price of zero is refused.
    #[test(framework = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 3, location = computestream::provider_registry)]
    fun zero_price_update_aborts(framework: &signer, admin: &signer) {
        let signers = setup(framework, admin, vector[@0x9385450f879a745e66e56a94d8736fbcc2b525423faec72ebe9f245379dacdbf], vector[500000000]);
        let provider = vector::remove(&mut signers, 0);
        provider_registry::register_provider(&provider, string::utf8(b"H100"), 80, 1000, 100000000);
        provider_registry::update_price(&provider, 0);
    }
}
