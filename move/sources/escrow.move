/// Escrow of each job's funds: deposited by the buyer, released to the provider by
/// `payment_stream`, refunded to the buyer when the stream closes.
/// Conservation, asserted after every operation: deposited = released + refunded + locked.
module computestream::escrow {
    use std::signer;
    use aptos_framework::aptos_coin::AptosCoin;
    use aptos_framework::coin::{Self, Coin};
    use aptos_framework::event;
    use aptos_std::table::{Self, Table};

    friend computestream::job_registry;
    friend computestream::payment_stream;

    /// The job has no escrow.
    const E_NO_ESCROW: u64 = 1;
    /// The job already has an escrow.
    const E_ESCROW_EXISTS: u64 = 2;
    /// A release or refund larger than what is locked.
    const E_INSUFFICIENT_ESCROW: u64 = 3;
    /// A deposit of zero octas.
    const E_ZERO_AMOUNT: u64 = 4;
    /// Conservation broke: deposited != released + refunded + locked (never expected).
    const E_CONSERVATION: u64 = 5;
    /// The escrow was settled and refunded (its stream closed): it takes no more deposits.
    const E_ESCROW_CLOSED: u64 = 6;
    /// The deposit would take the escrow's total above u64::MAX octas.
    const E_DEPOSIT_OVERFLOW: u64 = 7;

    const MAX_U64: u64 = 18446744073709551615;

    struct Entry has store {
        buyer: address,
        provider: address,
        locked: Coin<AptosCoin>,
        deposited: u64,
        released: u64,
        refunded: u64,
        closed: bool,
    }

    struct Escrows has key {
        entries: Table<u64, Entry>,
    }

    #[event]
    struct Deposited has drop, store {
        job_id: u64,
        buyer: address,
        amount: u64,
        total_deposited: u64,
    }

    #[event]
    struct Released has drop, store {
        job_id: u64,
        provider: address,
        amount: u64,
        total_released: u64,
    }

    #[event]
    struct Refunded has drop, store {
        job_id: u64,
        buyer: address,
        amount: u64,
    }

    fun init_module(admin: &signer) {
        move_to(admin, Escrows { entries: table::new() });
    }

    #[test_only]
    public fun init_for_test(admin: &signer) {
        init_module(admin);
    }

    /// Opens the escrow of `job_id` with the buyer's first deposit.
    public(friend) fun open(buyer: &signer, job_id: u64, provider: address, amount: u64) acquires Escrows {
        assert!(amount > 0, E_ZERO_AMOUNT);
        let escrows = borrow_global_mut<Escrows>(@computestream);
        assert!(!table::contains(&escrows.entries, job_id), E_ESCROW_EXISTS);
        let buyer_addr = signer::address_of(buyer);
        let coins = coin::withdraw<AptosCoin>(buyer, amount);
        table::add(&mut escrows.entries, job_id, Entry {
            buyer: buyer_addr, provider, locked: coins, deposited: amount, released: 0, refunded: 0, closed: false,
        });
        event::emit(Deposited { job_id, buyer: buyer_addr, amount, total_deposited: amount });
    }

    /// Adds funds to an open escrow (the buyer extends a job's budget).
    public entry fun deposit(buyer: &signer, job_id: u64, amount: u64) acquires Escrows {
        assert!(amount > 0, E_ZERO_AMOUNT);
        let escrows = borrow_global_mut<Escrows>(@computestream);
        assert!(table::contains(&escrows.entries, job_id), E_NO_ESCROW);
        let entry = table::borrow_mut(&mut escrows.entries, job_id);
        assert!(!entry.closed, E_ESCROW_CLOSED);
        assert!(amount <= MAX_U64 - entry.deposited, E_DEPOSIT_OVERFLOW);
        let coins = coin::withdraw<AptosCoin>(buyer, amount);
        coin::merge(&mut entry.locked, coins);
        entry.deposited = entry.deposited + amount;
        assert_conserved(entry);
        event::emit(Deposited { job_id, buyer: signer::address_of(buyer), amount, total_deposited: entry.deposited });
    }

    /// Pays `amount` from the escrow to the provider.
    public(friend) fun release(job_id: u64, amount: u64) acquires Escrows {
        if (amount == 0) return;
        let escrows = borrow_global_mut<Escrows>(@computestream);
        assert!(table::contains(&escrows.entries, job_id), E_NO_ESCROW);
        let entry = table::borrow_mut(&mut escrows.entries, job_id);
        assert!(coin::value(&entry.locked) >= amount, E_INSUFFICIENT_ESCROW);
        let coins = coin::extract(&mut entry.locked, amount);
        coin::deposit<AptosCoin>(entry.provider, coins);
        entry.released = entry.released + amount;
        assert_conserved(entry);
        event::emit(Released { job_id, provider: entry.provider, amount, total_released: entry.released });
    }

    /// Returns everything still locked to the buyer and closes the escrow; returns the
    /// amount refunded.
    public(friend) fun refund_rest(job_id: u64): u64 acquires Escrows {
        let escrows = borrow_global_mut<Escrows>(@computestream);
        assert!(table::contains(&escrows.entries, job_id), E_NO_ESCROW);
        let entry = table::borrow_mut(&mut escrows.entries, job_id);
        let amount = coin::value(&entry.locked);
        if (amount > 0) {
            let coins = coin::extract(&mut entry.locked, amount);
            coin::deposit<AptosCoin>(entry.buyer, coins);
            entry.refunded = entry.refunded + amount;
            event::emit(Refunded { job_id, buyer: entry.buyer, amount });
        };
        entry.closed = true;
        assert_conserved(entry);
        amount
    }

    fun assert_conserved(entry: &Entry) {
        let locked = coin::value(&entry.locked);
        assert!(entry.deposited == entry.released + entry.refunded + locked, E_CONSERVATION);
    }

    #[view]
    /// `(deposited, released, refunded, locked)` of a job's escrow.
    public fun get_escrow(job_id: u64): (u64, u64, u64, u64) acquires Escrows {
        let escrows = borrow_global<Escrows>(@computestream);
        assert!(table::contains(&escrows.entries, job_id), E_NO_ESCROW);
        let e = table::borrow(&escrows.entries, job_id);
        (e.deposited, e.released, e.refunded, coin::value(&e.locked))
    }

    public fun deposited(job_id: u64): u64 acquires Escrows {
        let (d, _, _, _) = get_escrow(job_id);
        d
    }

    #[test_only]
    /// The `Deposited` event with these fields, to compare with `event::emitted_events` in tests.
    public fun deposited_for_test(job_id: u64, buyer: address, amount: u64, total_deposited: u64): Deposited {
        Deposited { job_id, buyer, amount, total_deposited }
    }

    #[test_only]
    /// The `Released` event with these fields, to compare with `event::emitted_events` in tests.
    public fun released_for_test(job_id: u64, provider: address, amount: u64, total_released: u64): Released {
        Released { job_id, provider, amount, total_released }
    }

    #[test_only]
    /// The `Refunded` event with these fields, to compare with `event::emitted_events` in tests.
    public fun refunded_for_test(job_id: u64, buyer: address, amount: u64): Refunded {
        Refunded { job_id, buyer, amount }
    }
}
