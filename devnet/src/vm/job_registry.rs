//! `computestream::job_registry`, mirrored.

use computestream_domain::package_rules;
use computestream_domain::{AccountAddress, Actor, JobStatus};
use serde_json::json;

use super::{
    abort_codes, escrow, move_json, payment_stream, provider_registry, ChainState, Effects,
    ExecFailure, Job,
};

abort_codes!("job_registry" {
    E_NO_JOB = 1: "No job with that id.",
    E_ILLEGAL_TRANSITION = 2: "That status change is not allowed for the caller (see `transition_allowed`).",
    E_ZERO_DURATION = 3: "Maximum duration of zero seconds.",
    E_ESCROW_TOO_LOW = 4: "The escrow does not cover one second at the provider's price.",
    E_BAD_IMAGE = 5: "The image reference is empty or longer than 256 bytes.",
    E_SELF_DEALING = 6: "A buyer cannot hire itself.",
    E_UNKNOWN_STATUS = 7: "Status code outside 0..=4.",
    E_DURATION_TOO_LONG = 8: "Maximum duration above `MAX_DURATION_SECS` (365 days).",
    E_COST_OVERFLOW = 9: "The job's maximum cost, price per second * maximum duration, does not fit in a u64.",
    E_NOT_PROVIDER = 10: "Only the job's provider commits its evidence.",
    E_NOT_ENDED = 11: "Evidence is committed once the job has ended (completed, failed or cancelled).",
    E_BAD_EVIDENCE = 12: "The metering head is not 32 bytes, or more seconds than the job's maximum duration.",
    E_EVIDENCE_EXISTS = 13: "The job's evidence is committed already (it never changes).",
});

const MODULE: &str = "job_registry";

/// The arguments of `create_job`.
#[derive(Debug)]
pub struct CreateJob {
    pub provider: AccountAddress,
    pub docker_image: String,
    pub max_duration_secs: u64,
    pub escrow_amount: u64,
    pub buyer_public_key: Vec<u8>,
}

pub fn create_job(
    state: &mut ChainState,
    fx: &mut Effects,
    buyer: AccountAddress,
    c: CreateJob,
) -> Result<(), ExecFailure> {
    let pkg = state.package;
    if buyer == c.provider {
        return Err(codes::E_SELF_DEALING(pkg).into());
    }
    package_rules::check_job_terms(&c.docker_image, c.max_duration_secs)
        .map_err(|r| ExecFailure::from(super::rule_abort(pkg, r)))?;
    let price = provider_registry::active_price(state, &c.provider)?;
    package_rules::check_job_funding(price, c.max_duration_secs, c.escrow_amount)
        .map_err(|r| ExecFailure::from(super::rule_abort(pkg, r)))?;
    let job_id = state.next_job_id;
    escrow::check_open(state, &buyer, job_id, c.escrow_amount)?;
    payment_stream::check_open(state, job_id, price, &c.buyer_public_key)?;

    state.next_job_id = job_id
        .checked_add(1)
        .ok_or(ExecFailure::Status("ARITHMETIC_ERROR"))?;
    let now = state.now_seconds();
    state.jobs.insert(
        job_id,
        Job {
            buyer,
            provider: c.provider,
            docker_image: c.docker_image.clone(),
            max_duration_secs: c.max_duration_secs,
            escrow_amount: c.escrow_amount,
            price_per_second: price,
            status: JobStatus::Pending.code(),
            created_at: now,
            started_at: 0,
            ended_at: 0,
            output_url: None,
            output_cid: None,
        },
    );
    fx.emit(&pkg, MODULE, "JobCreated", json!({
        "job_id": move_json::u64(job_id), "buyer": move_json::address(&buyer),
        "provider": move_json::address(&c.provider), "docker_image": c.docker_image,
        "max_duration_secs": move_json::u64(c.max_duration_secs),
        "escrow_amount": move_json::u64(c.escrow_amount), "price_per_second": move_json::u64(price),
    }));
    escrow::open(state, fx, buyer, job_id, c.provider, c.escrow_amount);
    payment_stream::open(
        state,
        fx,
        buyer,
        c.provider,
        job_id,
        c.buyer_public_key,
        price,
        c.max_duration_secs,
    );
    Ok(())
}

/// What `report_outcome` adds to a status change.
#[derive(Debug)]
pub struct Outcome {
    exit_code: Option<u64>,
    reason: String,
    output_url: Option<String>,
    output_cid: Option<String>,
}

impl Outcome {
    pub fn none() -> Self {
        Outcome {
            exit_code: None,
            reason: String::new(),
            output_url: None,
            output_cid: None,
        }
    }

    /// Empty URL and CID strings mean "none", as in the Move code.
    pub fn reported(
        exit_code: u64,
        reason: String,
        output_url: String,
        output_cid: String,
    ) -> Self {
        let some = |s: String| if s.is_empty() { None } else { Some(s) };
        Outcome {
            exit_code: Some(exit_code),
            reason,
            output_url: some(output_url),
            output_cid: some(output_cid),
        }
    }
}

/// The rule of `job_registry::transition_allowed`, which is the domain's status machine.
pub fn transition_allowed(from: u8, to: u8, is_provider: bool, is_buyer: bool) -> bool {
    let (Ok(from), Ok(to)) = (JobStatus::from_code(from), JobStatus::from_code(to)) else {
        return false;
    };
    (is_provider && from.transition(to, Actor::Provider).is_ok())
        || (is_buyer && from.transition(to, Actor::Buyer).is_ok())
}

/// The checks of `update_job_status_with_outcome`, in its order.
fn check_update(
    state: &ChainState,
    caller: &AccountAddress,
    job_id: u64,
    status: u8,
) -> Result<(), ExecFailure> {
    let pkg = state.package;
    if status > JobStatus::Cancelled.code() {
        return Err(codes::E_UNKNOWN_STATUS(pkg).into());
    }
    let job = state
        .jobs
        .get(&job_id)
        .ok_or_else(|| codes::E_NO_JOB(pkg))?;
    if !transition_allowed(
        job.status,
        status,
        *caller == job.provider,
        *caller == job.buyer,
    ) {
        return Err(codes::E_ILLEGAL_TRANSITION(pkg).into());
    }
    Ok(())
}

pub fn update_job_status(
    state: &mut ChainState,
    fx: &mut Effects,
    caller: AccountAddress,
    job_id: u64,
    status: u8,
    outcome: Outcome,
) -> Result<(), ExecFailure> {
    let pkg = state.package;
    check_update(state, &caller, job_id, status)?;
    let now = state.now_seconds();
    let job = state
        .jobs
        .get_mut(&job_id)
        .ok_or_else(|| codes::E_NO_JOB(pkg))?;
    let from = job.status;
    job.status = status;
    if status == JobStatus::Running.code() {
        job.started_at = now;
    }
    let terminal = JobStatus::from_code(status)
        .map(JobStatus::is_terminal)
        .unwrap_or(false);
    if terminal {
        job.ended_at = now;
        job.output_url = outcome.output_url.clone();
        job.output_cid = outcome.output_cid.clone();
    }
    if terminal {
        payment_stream::mark_closable(state, job_id);
    }
    fx.emit(
        &pkg,
        MODULE,
        "JobStatusChanged",
        json!({
            "job_id": move_json::u64(job_id), "from": from, "to": status,
            "actor": move_json::address(&caller),
            "exit_code": move_json::option(outcome.exit_code, move_json::u64),
            "reason": outcome.reason,
            "output_url": move_json::option(outcome.output_url, serde_json::Value::String),
            "output_cid": move_json::option(outcome.output_cid, serde_json::Value::String),
        }),
    );
    Ok(())
}

/// What a provider commits when a job ends (`commit_evidence`).
#[derive(Debug, Clone)]
pub struct EvidenceArgs {
    pub metering_head: Vec<u8>,
    pub metered_seconds: u64,
}

/// The checks of `commit_evidence`, in its order, for `job_id` whose status will be `status`
/// (the status after a `report_outcome` in the same transaction).
fn check_evidence(
    state: &ChainState,
    caller: &AccountAddress,
    job_id: u64,
    status: u8,
    e: &EvidenceArgs,
) -> Result<(), ExecFailure> {
    let pkg = state.package;
    let job = state
        .jobs
        .get(&job_id)
        .ok_or_else(|| codes::E_NO_JOB(pkg))?;
    if *caller != job.provider {
        return Err(codes::E_NOT_PROVIDER(pkg).into());
    }
    let ended = JobStatus::from_code(status).is_ok_and(JobStatus::is_terminal);
    if !ended {
        return Err(codes::E_NOT_ENDED(pkg).into());
    }
    if e.metering_head.len() != 32 || e.metered_seconds > job.max_duration_secs {
        return Err(codes::E_BAD_EVIDENCE(pkg).into());
    }
    if state.evidence.contains_key(&job_id) {
        return Err(codes::E_EVIDENCE_EXISTS(pkg).into());
    }
    Ok(())
}

fn record_evidence(
    state: &mut ChainState,
    fx: &mut Effects,
    provider: AccountAddress,
    job_id: u64,
    e: EvidenceArgs,
) {
    let pkg = state.package;
    fx.emit(
        &pkg,
        MODULE,
        "EvidenceCommitted",
        json!({
            "job_id": move_json::u64(job_id), "provider": move_json::address(&provider),
            "metering_head": move_json::bytes(&e.metering_head),
            "metered_seconds": move_json::u64(e.metered_seconds),
        }),
    );
    let committed_at = state.now_seconds();
    state.evidence.insert(
        job_id,
        super::Evidence {
            metering_head: e.metering_head,
            metered_seconds: e.metered_seconds,
            committed_at,
        },
    );
}

/// `job_registry::commit_evidence` (entry).
pub fn commit_evidence(
    state: &mut ChainState,
    fx: &mut Effects,
    caller: AccountAddress,
    job_id: u64,
    e: EvidenceArgs,
) -> Result<(), ExecFailure> {
    let status = state
        .jobs
        .get(&job_id)
        .map(|j| j.status)
        .ok_or_else(|| codes::E_NO_JOB(state.package))?;
    check_evidence(state, &caller, job_id, status, &e)?;
    record_evidence(state, fx, caller, job_id, e);
    Ok(())
}

/// `job_registry::report_outcome_with_evidence`: the outcome and the evidence, atomically
/// (every check of both runs before anything changes, in the Move code's order).
pub fn report_outcome_with_evidence(
    state: &mut ChainState,
    fx: &mut Effects,
    caller: AccountAddress,
    job_id: u64,
    status: u8,
    outcome: Outcome,
    e: EvidenceArgs,
) -> Result<(), ExecFailure> {
    check_update(state, &caller, job_id, status)?;
    check_evidence(state, &caller, job_id, status, &e)?;
    update_job_status(state, fx, caller, job_id, status, outcome)?;
    record_evidence(state, fx, caller, job_id, e);
    Ok(())
}
