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

pub fn update_job_status(
    state: &mut ChainState,
    fx: &mut Effects,
    caller: AccountAddress,
    job_id: u64,
    status: u8,
    outcome: Outcome,
) -> Result<(), ExecFailure> {
    let pkg = state.package;
    if status > JobStatus::Cancelled.code() {
        return Err(codes::E_UNKNOWN_STATUS(pkg).into());
    }
    let now = state.now_seconds();
    let job = state
        .jobs
        .get_mut(&job_id)
        .ok_or_else(|| codes::E_NO_JOB(pkg))?;
    let from = job.status;
    if !transition_allowed(from, status, caller == job.provider, caller == job.buyer) {
        return Err(codes::E_ILLEGAL_TRANSITION(pkg).into());
    }
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
