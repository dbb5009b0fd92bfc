#[test_only]
/// Tests of `payment_stream` that pin the voucher format to the Rust signer: the shared
/// vector in `move/scenarios/voucher_vector.json` (asserted in Rust by
/// `domain/tests/shared_voucher_vector.rs`) must produce the same bytes and verify here.
module computestream::payment_stream_tests {
    use aptos_framework::chain_id;
    use aptos_std::ed25519;
    use computestream::payment_stream;

    /// From move/scenarios/voucher_vector.json.
    const VECTOR_PUBLIC_KEY: vector<u8> = x"d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737";
    const VECTOR_SIGNING_BYTES: vector<u8> = x"1a636f6d7075746573747265616d3a3a766f75636865723a3a763104c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5070000000000000040e2010000000000";
    const VECTOR_SIGNATURE: vector<u8> = x"f971db268e917b14a59ba437bea677145271fbc771d3b40f071d9283bcf4d0f0a0f6b4f611b41783291687e0613947eceef21a9a65bee85b63580d92ad801c0a";
    const VECTOR_STREAM_ID: u64 = 7;
    const VECTOR_CUMULATIVE: u64 = 123456;

    #[test(framework = @aptos_framework)]
    fun shared_vector_bytes_and_signature(framework: &signer) {
        chain_id::initialize_for_test(framework, 4);
        let bytes = payment_stream::voucher_message_bytes(VECTOR_STREAM_ID, VECTOR_CUMULATIVE);
        assert!(bytes == VECTOR_SIGNING_BYTES, 1);
        let sig = ed25519::new_signature_from_bytes(VECTOR_SIGNATURE);
        let pk = ed25519::new_unvalidated_public_key_from_bytes(VECTOR_PUBLIC_KEY);
        assert!(ed25519::signature_verify_strict(&sig, &pk, bytes), 2);
        let other = payment_stream::voucher_message_bytes(VECTOR_STREAM_ID, VECTOR_CUMULATIVE + 1);
        assert!(!ed25519::signature_verify_strict(&sig, &pk, other), 3);
    }

    #[test]
    fun payout_is_the_capped_difference() {
        assert!(payment_stream::payout(0, 10, 100) == 10, 1);
        assert!(payment_stream::payout(10, 10, 100) == 0, 2);
        assert!(payment_stream::payout(20, 10, 100) == 0, 3);
        assert!(payment_stream::payout(90, 500, 100) == 10, 4);
    }
}
