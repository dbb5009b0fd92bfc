/// x402 payment streams redeemed with cumulative buyer vouchers.
///
/// A voucher is the buyer's ed25519 signature over the BCS bytes of `VoucherMessage`
/// ("I owe `cumulative_amount` octas in total on stream `stream_id`"), exactly the bytes
/// `computestream_domain::Voucher::signing_bytes` produces off chain. Redeeming pays
/// `min(cumulative_amount, escrow) - already_paid`: a stale, repeated or reordered voucher
/// pays nothing, and nothing can exceed the escrow. Redemption is permissionless (the money
/// only ever goes to the provider), so any settler can batch many streams in one transaction.
module computestream::payment_stream {
    use std::bcs;
    use std::option;
    use std::signer;
    use std::vector;
    use aptos_framework::chain_id;
    use aptos_framework::event;
    use aptos_framework::timestamp;
    use aptos_std::ed25519;
    use aptos_std::table::{Self, Table};
    use computestream::escrow;

    friend computestream::job_registry;

    /// Domain separator: the first field of every signed voucher.
    const VOUCHER_DOMAIN: vector<u8> = b"computestream::voucher::v1";

    /// No stream with that id.
    const E_NO_STREAM: u64 = 1;
    /// A stream with that id exists already.
    const E_STREAM_EXISTS: u64 = 2;
    /// `streams`, `cumulative_amounts` and `signatures` differ in length.
    const E_LENGTH_MISMATCH: u64 = 3;
    /// The voucher key is not a valid ed25519 public key (32 bytes, on the curve, not of small order).
    const E_BAD_BUYER_KEY: u64 = 4;
    /// The stream is closed.
    const E_STREAM_CLOSED: u64 = 5;
    /// Only the buyer or the provider may close a stream before it is closable.
    const E_NOT_ALLOWED: u64 = 6;
    /// The final voucher given to `close_stream` does not verify.
    const E_BAD_VOUCHER: u64 = 7;
    /// Rate of zero octas per second.
    const E_ZERO_RATE: u64 = 8;

    /// Reasons in `VoucherRejected` (the batch goes on).
    const REJECT_NO_STREAM: u8 = 1;
    const REJECT_CLOSED: u8 = 2;
    const REJECT_BAD_SIGNATURE: u8 = 3;

    /// The signed message. Field order is the byte layout.
    struct VoucherMessage has copy, drop {
        domain: vector<u8>,
        chain_id: u8,
        package: address,
        stream_id: u64,
        cumulative_amount: u64,
    }

    struct Stream has store {
        buyer: address,
        provider: address,
        buyer_public_key: vector<u8>,
        rate_per_second: u64,
        opened_at: u64,
        max_duration_secs: u64,
        paid: u64,
        closable: bool,
        open: bool,
    }

    struct Streams has key {
        streams: Table<u64, Stream>,
    }

    #[event]
    struct StreamOpened has drop, store {
        stream_id: u64,
        buyer: address,
        provider: address,
        buyer_public_key: vector<u8>,
        rate_per_second: u64,
        escrow: u64,
    }

    #[event]
    struct StreamSettled has drop, store {
        stream_id: u64,
        cumulative_amount: u64,
        paid_now: u64,
        paid_total: u64,
    }

    #[event]
    struct VoucherRejected has drop, store {
        stream_id: u64,
        cumulative_amount: u64,
        reason: u8,
    }

    #[event]
    struct StreamClosed has drop, store {
        stream_id: u64,
        final_payment: u64,
        paid_total: u64,
        refunded: u64,
    }

    fun init_module(admin: &signer) {
        move_to(admin, Streams { streams: table::new() });
    }

    #[test_only]
    public fun init_for_test(admin: &signer) {
        init_module(admin);
    }

    /// Opens stream `stream_id` (= the job id) over the job's escrow. `buyer_public_key` is
    /// the voucher key: the ed25519 key whose signatures this stream's vouchers carry. The
    /// buyer authorises it by signing `create_job`; it may be the buyer account's own key or a
    /// session key a browser page generated for this job alone (it can only ever move this
    /// stream's escrow, and only to this stream's provider). It must be a valid key
    /// (`ed25519::new_validated_public_key_from_bytes`), so a typo cannot lock the stream.
    public(friend) fun open_stream(
        buyer: address,
        provider: address,
        stream_id: u64,
        buyer_public_key: vector<u8>,
        rate_per_second: u64,
        max_duration_secs: u64,
    ) acquires Streams {
        assert!(rate_per_second > 0, E_ZERO_RATE);
        // The length first: `new_validated_public_key_from_bytes` may abort on other lengths.
        assert!(vector::length(&buyer_public_key) == 32, E_BAD_BUYER_KEY);
        assert!(option::is_some(&ed25519::new_validated_public_key_from_bytes(buyer_public_key)), E_BAD_BUYER_KEY);
        let s = borrow_global_mut<Streams>(@computestream);
        assert!(!table::contains(&s.streams, stream_id), E_STREAM_EXISTS);
        table::add(&mut s.streams, stream_id, Stream {
            buyer, provider, buyer_public_key, rate_per_second,
            opened_at: timestamp::now_seconds(), max_duration_secs,
            paid: 0, closable: false, open: true,
        });
        event::emit(StreamOpened {
            stream_id, buyer, provider, buyer_public_key, rate_per_second,
            escrow: escrow::deposited(stream_id),
        });
    }

    /// The job reached a terminal status: anyone (a settler) may now close the stream.
    public(friend) fun mark_closable(stream_id: u64) acquires Streams {
        let s = borrow_global_mut<Streams>(@computestream);
        if (table::contains(&s.streams, stream_id)) {
            table::borrow_mut(&mut s.streams, stream_id).closable = true;
        }
    }

    /// Redeems one voucher per stream. Stale and repeated vouchers pay zero; vouchers for
    /// unknown or closed streams and bad signatures are reported in `VoucherRejected`; none of
    /// these aborts the batch. Only mismatched argument lengths abort.
    public entry fun settle_batch(
        _settler: &signer,
        streams: vector<u64>,
        cumulative_amounts: vector<u64>,
        signatures: vector<vector<u8>>,
    ) acquires Streams {
        let n = vector::length(&streams);
        assert!(n == vector::length(&cumulative_amounts) && n == vector::length(&signatures), E_LENGTH_MISMATCH);
        let i = 0;
        while (i < n) {
            let stream_id = *vector::borrow(&streams, i);
            let cumulative = *vector::borrow(&cumulative_amounts, i);
            let signature = *vector::borrow(&signatures, i);
            redeem_one(stream_id, cumulative, signature);
            i = i + 1;
        };
    }

    fun redeem_one(stream_id: u64, cumulative: u64, signature: vector<u8>) acquires Streams {
        let s = borrow_global_mut<Streams>(@computestream);
        if (!table::contains(&s.streams, stream_id)) {
            event::emit(VoucherRejected { stream_id, cumulative_amount: cumulative, reason: REJECT_NO_STREAM });
            return
        };
        let stream = table::borrow_mut(&mut s.streams, stream_id);
        if (!stream.open) {
            event::emit(VoucherRejected { stream_id, cumulative_amount: cumulative, reason: REJECT_CLOSED });
            return
        };
        if (!verify_voucher(stream.buyer_public_key, stream_id, cumulative, signature)) {
            event::emit(VoucherRejected { stream_id, cumulative_amount: cumulative, reason: REJECT_BAD_SIGNATURE });
            return
        };
        let paid_now = payout(stream.paid, cumulative, escrow::deposited(stream_id));
        stream.paid = stream.paid + paid_now;
        escrow::release(stream_id, paid_now);
        event::emit(StreamSettled { stream_id, cumulative_amount: cumulative, paid_now, paid_total: stream.paid });
    }

    /// Pays the final voucher (if `signature` is not empty) and refunds the rest of the
    /// escrow to the buyer. The buyer (early termination) or the provider may close at any
    /// time; anyone may once the job is terminal or its maximum duration has passed.
    public entry fun close_stream(
        caller: &signer,
        stream_id: u64,
        cumulative_amount: u64,
        signature: vector<u8>,
    ) acquires Streams {
        let s = borrow_global_mut<Streams>(@computestream);
        assert!(table::contains(&s.streams, stream_id), E_NO_STREAM);
        let stream = table::borrow_mut(&mut s.streams, stream_id);
        assert!(stream.open, E_STREAM_CLOSED);
        let who = signer::address_of(caller);
        // `now - opened_at` (the clock never goes back), never `opened_at + max_duration_secs`:
        // no stream can become unclosable through an overflow.
        let expired = timestamp::now_seconds() - stream.opened_at >= stream.max_duration_secs;
        assert!(who == stream.buyer || who == stream.provider || stream.closable || expired, E_NOT_ALLOWED);
        let final_payment = 0;
        if (!vector::is_empty(&signature)) {
            assert!(verify_voucher(stream.buyer_public_key, stream_id, cumulative_amount, signature), E_BAD_VOUCHER);
            final_payment = payout(stream.paid, cumulative_amount, escrow::deposited(stream_id));
            stream.paid = stream.paid + final_payment;
            escrow::release(stream_id, final_payment);
        };
        stream.open = false;
        let refunded = escrow::refund_rest(stream_id);
        event::emit(StreamClosed { stream_id, final_payment, paid_total: stream.paid, refunded });
    }

    /// The payout rule: `min(cumulative, escrow) - already_paid`, or zero.
    public fun payout(already_paid: u64, cumulative: u64, escrow_deposited: u64): u64 {
        let capped = if (cumulative < escrow_deposited) { cumulative } else { escrow_deposited };
        if (capped > already_paid) { capped - already_paid } else { 0 }
    }

    /// The exact bytes a buyer signs for a voucher on this chain and package.
    public fun voucher_message_bytes(stream_id: u64, cumulative_amount: u64): vector<u8> {
        bcs::to_bytes(&VoucherMessage {
            domain: VOUCHER_DOMAIN,
            chain_id: chain_id::get(),
            package: @computestream,
            stream_id,
            cumulative_amount,
        })
    }

    fun verify_voucher(buyer_public_key: vector<u8>, stream_id: u64, cumulative: u64, signature: vector<u8>): bool {
        if (vector::length(&signature) != 64) return false;
        let sig = ed25519::new_signature_from_bytes(signature);
        let pk = ed25519::new_unvalidated_public_key_from_bytes(buyer_public_key);
        ed25519::signature_verify_strict(&sig, &pk, voucher_message_bytes(stream_id, cumulative))
    }

    #[view]
    /// `(buyer, provider, rate_per_second, paid, open)`.
    public fun get_stream(stream_id: u64): (address, address, u64, u64, bool) acquires Streams {
        let s = borrow_global<Streams>(@computestream);
        assert!(table::contains(&s.streams, stream_id), E_NO_STREAM);
        let st = table::borrow(&s.streams, stream_id);
        (st.buyer, st.provider, st.rate_per_second, st.paid, st.open)
    }

    #[test_only]
    /// The `StreamOpened` event with these fields, to compare with `event::emitted_events` in tests.
    public fun stream_opened_for_test(stream_id: u64, buyer: address, provider: address, buyer_public_key: vector<u8>, rate_per_second: u64, escrow: u64): StreamOpened {
        StreamOpened { stream_id, buyer, provider, buyer_public_key, rate_per_second, escrow }
    }

    #[test_only]
    /// The `StreamSettled` event with these fields, to compare with `event::emitted_events` in tests.
    public fun stream_settled_for_test(stream_id: u64, cumulative_amount: u64, paid_now: u64, paid_total: u64): StreamSettled {
        StreamSettled { stream_id, cumulative_amount, paid_now, paid_total }
    }

    #[test_only]
    /// The `VoucherRejected` event with these fields, to compare with `event::emitted_events` in tests.
    public fun voucher_rejected_for_test(stream_id: u64, cumulative_amount: u64, reason: u8): VoucherRejected {
        VoucherRejected { stream_id, cumulative_amount, reason }
    }

    #[test_only]
    /// The `StreamClosed` event with these fields, to compare with `event::emitted_events` in tests.
    public fun stream_closed_for_test(stream_id: u64, final_payment: u64, paid_total: u64, refunded: u64): StreamClosed {
        StreamClosed { stream_id, final_payment, paid_total, refunded }
    }
}
