/// Jobs: created funded (escrow deposited and stream opened in the same transaction, so a
/// job is never unfunded), with a status machine that says who may move which status.
module computestream::job_registry {
    use std::signer;
    use std::string::{Self, String};
    use std::option::{Self, Option};
    use std::vector;
    use aptos_framework::event;
    use aptos_framework::timestamp;
    use aptos_std::table::{Self, Table};
    use computestream::escrow;
    use computestream::payment_stream;
    use computestream::provider_registry;

    const STATUS_PENDING: u8 = 0;
    const STATUS_RUNNING: u8 = 1;
    const STATUS_COMPLETED: u8 = 2;
    const STATUS_FAILED: u8 = 3;
    const STATUS_CANCELLED: u8 = 4;

    /// No job with that id.
    const E_NO_JOB: u64 = 1;
    /// That status change is not allowed for the caller (see `transition_allowed`).
    const E_ILLEGAL_TRANSITION: u64 = 2;
    /// Maximum duration of zero seconds.
    const E_ZERO_DURATION: u64 = 3;
    /// The escrow does not cover one second at the provider's price.
    const E_ESCROW_TOO_LOW: u64 = 4;
    /// The image reference is empty or longer than 256 bytes.
    const E_BAD_IMAGE: u64 = 5;
    /// A buyer cannot hire itself.
    const E_SELF_DEALING: u64 = 6;
    /// Status code outside 0..=4.
    const E_UNKNOWN_STATUS: u64 = 7;
    /// Maximum duration above `MAX_DURATION_SECS` (365 days).
    const E_DURATION_TOO_LONG: u64 = 8;
    /// The job's maximum cost, price per second * maximum duration, does not fit in a u64.
    const E_COST_OVERFLOW: u64 = 9;
    /// Only the job's provider commits its evidence.
    const E_NOT_PROVIDER: u64 = 10;
    /// Evidence is committed once the job has ended (completed, failed or cancelled).
    const E_NOT_ENDED: u64 = 11;
    /// The metering head is not 32 bytes, or more seconds than the job's maximum duration.
    const E_BAD_EVIDENCE: u64 = 12;
    /// The job's evidence is committed already (it never changes).
    const E_EVIDENCE_EXISTS: u64 = 13;

    const MAX_IMAGE_LEN: u64 = 256;
    /// The longest job: 365 days. With it, `opened_at + max_duration_secs` and every
    /// per-second count stay far below u64::MAX.
    const MAX_DURATION_SECS: u64 = 31_536_000;
    const MAX_U64: u64 = 18446744073709551615;

    struct Job has store {
        buyer: address,
        provider: address,
        docker_image: String,
        max_duration_secs: u64,
        escrow_amount: u64,
        price_per_second: u64,
        status: u8,
        created_at: u64,
        started_at: u64,
        ended_at: u64,
        output_url: Option<String>,
        output_cid: Option<String>,
    }

    struct Jobs has key {
        jobs: Table<u64, Job>,
        next_id: u64,
    }

    /// What the provider committed when a job ended: the SHA3-256 of the last record of its
    /// hash-chained metering (`computestream_domain::MeteringRecord`) and the number of
    /// seconds metered. A provider cannot later show a different history for the job.
    struct Evidence has store {
        metering_head: vector<u8>,
        metered_seconds: u64,
        committed_at: u64,
    }

    struct EvidenceBook has key {
        entries: Table<u64, Evidence>,
    }

    #[event]
    struct JobCreated has drop, store {
        job_id: u64,
        buyer: address,
        provider: address,
        docker_image: String,
        max_duration_secs: u64,
        escrow_amount: u64,
        price_per_second: u64,
    }

    #[event]
    struct EvidenceCommitted has drop, store {
        job_id: u64,
        provider: address,
        metering_head: vector<u8>,
        metered_seconds: u64,
    }

    #[event]
    struct JobStatusChanged has drop, store {
        job_id: u64,
        from: u8,
        to: u8,
        actor: address,
        exit_code: Option<u64>,
        reason: String,
        output_url: Option<String>,
        output_cid: Option<String>,
    }

    fun init_module(admin: &signer) {
        move_to(admin, Jobs { jobs: table::new(), next_id: 1 });
        move_to(admin, EvidenceBook { entries: table::new() });
    }

    #[test_only]
    public fun init_for_test(admin: &signer) {
        init_module(admin);
    }

    /// Creates a job, deposits its escrow and opens its payment stream at the provider's
    /// current price. Bounds, in this order: `max_duration_secs` in `1..=MAX_DURATION_SECS`
    /// (`E_ZERO_DURATION`, `E_DURATION_TOO_LONG`), the provider active (`provider_registry`),
    /// price * `max_duration_secs` within u64 (`E_COST_OVERFLOW`), the escrow at least one
    /// second (`E_ESCROW_TOO_LOW`). `voucher_public_key` is the ed25519 key that will sign the
    /// stream's vouchers: the buyer account's own key, or a session key the buyer authorises
    /// by signing this transaction (see `payment_stream::open_stream`). The new job id is in
    /// the `JobCreated` event.
    public entry fun create_job(
        buyer: &signer,
        provider: address,
        docker_image: String,
        max_duration_secs: u64,
        escrow_amount: u64,
        voucher_public_key: vector<u8>,
    ) acquires Jobs {
        let buyer_addr = signer::address_of(buyer);
        assert!(buyer_addr != provider, E_SELF_DEALING);
        let len = string::length(&docker_image);
        assert!(len > 0 && len <= MAX_IMAGE_LEN, E_BAD_IMAGE);
        assert!(max_duration_secs > 0, E_ZERO_DURATION);
        assert!(max_duration_secs <= MAX_DURATION_SECS, E_DURATION_TOO_LONG);
        let price = provider_registry::active_price(provider);
        assert!(price <= MAX_U64 / max_duration_secs, E_COST_OVERFLOW);
        assert!(escrow_amount >= price, E_ESCROW_TOO_LOW);
        let jobs = borrow_global_mut<Jobs>(@computestream);
        let job_id = jobs.next_id;
        jobs.next_id = job_id + 1;
        let now = timestamp::now_seconds();
        table::add(&mut jobs.jobs, job_id, Job {
            buyer: buyer_addr, provider, docker_image, max_duration_secs, escrow_amount,
            price_per_second: price, status: STATUS_PENDING, created_at: now,
            started_at: 0, ended_at: 0, output_url: option::none(), output_cid: option::none(),
        });
        event::emit(JobCreated {
            job_id, buyer: buyer_addr, provider, docker_image, max_duration_secs, escrow_amount,
            price_per_second: price,
        });
        escrow::open(buyer, job_id, provider, escrow_amount);
        payment_stream::open_stream(buyer_addr, provider, job_id, voucher_public_key, price, max_duration_secs);
    }

    /// Moves a job's status. The provider starts (pending -> running), completes
    /// (running -> completed) or fails (pending/running -> failed) a job; the buyer cancels it
    /// (pending/running -> cancelled). A terminal status never changes, and makes the job's
    /// stream closable by anyone.
    public entry fun update_job_status(caller: &signer, job_id: u64, status: u8) acquires Jobs {
        update_job_status_with_outcome(caller, job_id, status, option::none(), string::utf8(b""), option::none(), option::none());
    }

    /// [`update_job_status`] with the outcome: exit code, reason, and where the outputs are.
    public entry fun report_outcome(
        caller: &signer,
        job_id: u64,
        status: u8,
        exit_code: u64,
        reason: String,
        output_url: String,
        output_cid: String,
    ) acquires Jobs {
        let url = if (string::length(&output_url) > 0) { option::some(output_url) } else { option::none() };
        let cid = if (string::length(&output_cid) > 0) { option::some(output_cid) } else { option::none() };
        update_job_status_with_outcome(caller, job_id, status, option::some(exit_code), reason, url, cid);
    }

    /// [`report_outcome`] and [`commit_evidence`] in one transaction: how a provider ends a
    /// job it ran (`metering_head`: SHA3-256 of its last metering record, 32 bytes).
    public entry fun report_outcome_with_evidence(
        caller: &signer,
        job_id: u64,
        status: u8,
        exit_code: u64,
        reason: String,
        output_url: String,
        output_cid: String,
        metering_head: vector<u8>,
        metered_seconds: u64,
    ) acquires Jobs, EvidenceBook {
        report_outcome(caller, job_id, status, exit_code, reason, output_url, output_cid);
        commit_evidence(caller, job_id, metering_head, metered_seconds);
    }

    /// The provider commits the evidence of a job that has ended: the head of its metering
    /// chain (SHA3-256 of the last record, 32 bytes) and the seconds metered, at most the
    /// job's maximum duration. Once per job; a job the buyer cancelled is committed this way
    /// after the cancellation. Aborts: `E_NO_JOB`, `E_NOT_PROVIDER`, `E_NOT_ENDED`,
    /// `E_BAD_EVIDENCE`, `E_EVIDENCE_EXISTS`, in that order.
    public entry fun commit_evidence(
        provider: &signer,
        job_id: u64,
        metering_head: vector<u8>,
        metered_seconds: u64,
    ) acquires Jobs, EvidenceBook {
        let who = signer::address_of(provider);
        let jobs = borrow_global<Jobs>(@computestream);
        assert!(table::contains(&jobs.jobs, job_id), E_NO_JOB);
        let job = table::borrow(&jobs.jobs, job_id);
        assert!(who == job.provider, E_NOT_PROVIDER);
        assert!(is_terminal(job.status), E_NOT_ENDED);
        assert!(vector::length(&metering_head) == 32, E_BAD_EVIDENCE);
        assert!(metered_seconds <= job.max_duration_secs, E_BAD_EVIDENCE);
        let book = borrow_global_mut<EvidenceBook>(@computestream);
        assert!(!table::contains(&book.entries, job_id), E_EVIDENCE_EXISTS);
        table::add(&mut book.entries, job_id, Evidence {
            metering_head, metered_seconds, committed_at: timestamp::now_seconds(),
        });
        event::emit(EvidenceCommitted { job_id, provider: who, metering_head, metered_seconds });
    }

    #[view]
    /// `(metering_head, metered_seconds, committed)` of a job's evidence; an empty head, 0 and
    /// false before the provider committed it.
    public fun get_evidence(job_id: u64): (vector<u8>, u64, bool) acquires EvidenceBook {
        let book = borrow_global<EvidenceBook>(@computestream);
        if (!table::contains(&book.entries, job_id)) {
            return (vector::empty(), 0, false)
        };
        let e = table::borrow(&book.entries, job_id);
        (e.metering_head, e.metered_seconds, true)
    }

    fun update_job_status_with_outcome(
        caller: &signer,
        job_id: u64,
        status: u8,
        exit_code: Option<u64>,
        reason: String,
        output_url: Option<String>,
        output_cid: Option<String>,
    ) acquires Jobs {
        assert!(status <= STATUS_CANCELLED, E_UNKNOWN_STATUS);
        let who = signer::address_of(caller);
        let jobs = borrow_global_mut<Jobs>(@computestream);
        assert!(table::contains(&jobs.jobs, job_id), E_NO_JOB);
        let job = table::borrow_mut(&mut jobs.jobs, job_id);
        let from = job.status;
        assert!(transition_allowed(from, status, who == job.provider, who == job.buyer), E_ILLEGAL_TRANSITION);
        job.status = status;
        let now = timestamp::now_seconds();
        if (status == STATUS_RUNNING) { job.started_at = now; };
        if (is_terminal(status)) {
            job.ended_at = now;
            job.output_url = output_url;
            job.output_cid = output_cid;
            payment_stream::mark_closable(job_id);
        };
        event::emit(JobStatusChanged { job_id, from, to: status, actor: who, exit_code, reason, output_url, output_cid });
    }

    /// The rule `computestream_domain::JobStatus::transition` mirrors.
    public fun transition_allowed(from: u8, to: u8, is_provider: bool, is_buyer: bool): bool {
        (is_provider && from == STATUS_PENDING && to == STATUS_RUNNING)
            || (is_provider && (from == STATUS_PENDING || from == STATUS_RUNNING) && to == STATUS_FAILED)
            || (is_provider && from == STATUS_RUNNING && to == STATUS_COMPLETED)
            || (is_buyer && (from == STATUS_PENDING || from == STATUS_RUNNING) && to == STATUS_CANCELLED)
    }

    fun is_terminal(status: u8): bool {
        status == STATUS_COMPLETED || status == STATUS_FAILED || status == STATUS_CANCELLED
    }

    #[view]
    /// `(buyer, provider, docker_image, max_duration_secs, escrow_amount, price_per_second, status)`.
    public fun get_job(job_id: u64): (address, address, String, u64, u64, u64, u8) acquires Jobs {
        let jobs = borrow_global<Jobs>(@computestream);
        assert!(table::contains(&jobs.jobs, job_id), E_NO_JOB);
        let j = table::borrow(&jobs.jobs, job_id);
        (j.buyer, j.provider, j.docker_image, j.max_duration_secs, j.escrow_amount, j.price_per_second, j.status)
    }

    #[test_only]
    /// The `JobCreated` event with these fields, to compare with `event::emitted_events` in tests.
    public fun job_created_for_test(job_id: u64, buyer: address, provider: address, docker_image: String, max_duration_secs: u64, escrow_amount: u64, price_per_second: u64): JobCreated {
        JobCreated { job_id, buyer, provider, docker_image, max_duration_secs, escrow_amount, price_per_second }
    }

    #[test_only]
    /// The `JobStatusChanged` event with these fields, to compare with `event::emitted_events` in tests.
    public fun job_status_changed_for_test(job_id: u64, from: u8, to: u8, actor: address, exit_code: Option<u64>, reason: String, output_url: Option<String>, output_cid: Option<String>): JobStatusChanged {
        JobStatusChanged { job_id, from, to, actor, exit_code, reason, output_url, output_cid }
    }

    #[test_only]
    /// The `EvidenceCommitted` event with these fields, to compare with `event::emitted_events` in tests.
    public fun evidence_committed_for_test(job_id: u64, provider: address, metering_head: vector<u8>, metered_seconds: u64): EvidenceCommitted {
        EvidenceCommitted { job_id, provider, metering_head, metered_seconds }
    }
}
