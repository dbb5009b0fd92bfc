//! The devnet's execution of the ComputeStream Move package (and the few framework
//! functions the engine needs), with the package's exact checks, abort codes, state changes
//! and events. Pure: no I/O.
//!
//! Every entry function is written check-then-mutate: all the conditions the Move code
//! asserts are evaluated, in the Move code's order, before any state changes, so an abort
//! leaves the state untouched exactly as a Move abort reverts the transaction.

mod abort;
mod args;
mod coin;
mod escrow;
mod job_registry;
pub mod move_json;
mod payment_stream;
mod provider_registry;
mod state;
mod views;

pub(crate) use abort::abort_codes;
pub use abort::{Abort, ExecFailure};
pub use args::Args;
pub use coin::is_native_coin;
pub use state::{AccountState, ChainState, EscrowEntry, Evidence, Job, Provider, Stream};
pub use views::ViewError;

use aptos_sdk::types::TypeTag;
use computestream_domain::package_rules::PackageRule;
use computestream_domain::AccountAddress;
use serde_json::Value;

/// An event emitted by a transaction: `type` and Move JSON `data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmittedEvent {
    pub type_: String,
    pub data: Value,
}

/// What a successful entry function produced.
#[derive(Debug, Default)]
pub struct Effects {
    pub events: Vec<EmittedEvent>,
}

impl Effects {
    pub(crate) fn emit(
        &mut self,
        module_addr: &AccountAddress,
        module: &str,
        name: &str,
        data: Value,
    ) {
        self.events.push(EmittedEvent {
            type_: format!("{}::{module}::{name}", module_addr.to_hex_literal()),
            data,
        });
    }
}

/// Gas units an entry function uses: a fixed cost per function plus per-item costs, in the
/// ballpark of what the Move code costs on chain (used for fees and the per-transaction
/// limit, so settlers learn how many streams fit).
pub fn gas_units(module: &str, function: &str, args: &[Vec<u8>]) -> u64 {
    let bytes: u64 = args.iter().map(|a| a.len() as u64).sum();
    let base = match (module, function) {
        ("payment_stream", "settle_batch") => {
            // One signature verification and a few table updates per stream.
            let streams = args.first().map(|a| a.len() as u64 / 8).unwrap_or(0);
            20 + 12 * streams
        }
        ("job_registry", "create_job") => 60,
        ("payment_stream", "close_stream") => 40,
        ("provider_registry", "register_provider") => 50,
        _ => 20,
    };
    base + bytes / 64
}

/// The abort of the package's module that a broken [`PackageRule`] names.
pub(crate) fn rule_abort(package: AccountAddress, rule: PackageRule) -> Abort {
    let abort = match rule.module {
        "provider_registry" => provider_registry::codes::named(package, rule.name),
        "job_registry" => job_registry::codes::named(package, rule.name),
        "escrow" => escrow::codes::named(package, rule.name),
        "payment_stream" => payment_stream::codes::named(package, rule.name),
        _ => None,
    };
    // Every rule names an abort code of its module (tested below).
    abort.unwrap_or(Abort {
        address: package,
        module: rule.module,
        name: rule.name,
        code: 0,
        description: "",
    })
}

/// Dispatches one entry-function call: the function must be one the devnet executes
/// (`LINKER_ERROR` otherwise, as for a function the node cannot link), with as many type
/// arguments as it has type parameters (`NUMBER_OF_TYPE_ARGUMENTS_MISMATCH`) and as many
/// arguments as parameters (`NUMBER_OF_ARGUMENTS_MISMATCH`), in the VM's order of checks.
pub fn execute(
    state: &mut ChainState,
    sender: AccountAddress,
    module_addr: AccountAddress,
    module: &str,
    function: &str,
    type_args: &[TypeTag],
    args: &[Vec<u8>],
) -> Result<Effects, ExecFailure> {
    let mut fx = Effects::default();
    let framework = module_addr == AccountAddress::ONE;
    if !framework && module_addr != state.package {
        return Err(ExecFailure::Status("LINKER_ERROR"));
    }
    let Some(entry) = crate::abi::entry_function(framework, module, function) else {
        return Err(ExecFailure::Status("LINKER_ERROR"));
    };
    if type_args.len() != entry.type_params {
        return Err(ExecFailure::Status("NUMBER_OF_TYPE_ARGUMENTS_MISMATCH"));
    }
    if framework {
        match (module, function) {
            ("aptos_account", "transfer") => {
                let mut a = Args::new(args, 2)?;
                let (to, amount) = (a.address()?, a.u64()?);
                coin::transfer(state, &mut fx, sender, to, amount)?;
            }
            ("aptos_account", "transfer_coins") => {
                let mut a = Args::new(args, 2)?;
                let (to, amount) = (a.address()?, a.u64()?);
                coin::transfer_coins(state, &mut fx, &type_args[0], sender, to, amount)?;
            }
            ("coin", "transfer") => {
                let mut a = Args::new(args, 2)?;
                let (to, amount) = (a.address()?, a.u64()?);
                coin::coin_transfer(state, &mut fx, &type_args[0], sender, to, amount)?;
            }
            ("aptos_account", "create_account") => {
                let mut a = Args::new(args, 1)?;
                let addr = a.address()?;
                coin::create_account(state, addr)?;
            }
            _ => return Err(ExecFailure::Status("LINKER_ERROR")),
        }
        return Ok(fx);
    }
    match (module, function) {
        ("provider_registry", "register_provider") => {
            let mut a = Args::new(args, 4)?;
            let (gpu, vram, price, stake) = (a.string()?, a.u64()?, a.u64()?, a.u64()?);
            provider_registry::register_provider(state, &mut fx, sender, gpu, vram, price, stake)?;
        }
        ("provider_registry", "update_availability") => {
            let mut a = Args::new(args, 1)?;
            let active = a.bool()?;
            provider_registry::update_availability(state, &mut fx, sender, active)?;
        }
        ("provider_registry", "update_price") => {
            let mut a = Args::new(args, 1)?;
            let price = a.u64()?;
            provider_registry::update_price(state, &mut fx, sender, price)?;
        }
        ("provider_registry", "unstake") => {
            Args::new(args, 0)?;
            provider_registry::unstake(state, &mut fx, sender)?;
        }
        ("job_registry", "create_job") => {
            let mut a = Args::new(args, 5)?;
            let call = job_registry::CreateJob {
                provider: a.address()?,
                docker_image: a.string()?,
                max_duration_secs: a.u64()?,
                escrow_amount: a.u64()?,
                buyer_public_key: a.bytes()?,
            };
            job_registry::create_job(state, &mut fx, sender, call)?;
        }
        ("job_registry", "update_job_status") => {
            let mut a = Args::new(args, 2)?;
            let (job_id, status) = (a.u64()?, a.u8()?);
            let outcome = job_registry::Outcome::none();
            job_registry::update_job_status(state, &mut fx, sender, job_id, status, outcome)?;
        }
        ("job_registry", "report_outcome") => {
            let mut a = Args::new(args, 6)?;
            let (job_id, status) = (a.u64()?, a.u8()?);
            let outcome =
                job_registry::Outcome::reported(a.u64()?, a.string()?, a.string()?, a.string()?);
            job_registry::update_job_status(state, &mut fx, sender, job_id, status, outcome)?;
        }
        ("job_registry", "report_outcome_with_evidence") => {
            let mut a = Args::new(args, 8)?;
            let (job_id, status) = (a.u64()?, a.u8()?);
            let outcome =
                job_registry::Outcome::reported(a.u64()?, a.string()?, a.string()?, a.string()?);
            let evidence = job_registry::EvidenceArgs {
                metering_head: a.bytes()?,
                metered_seconds: a.u64()?,
            };
            job_registry::report_outcome_with_evidence(
                state, &mut fx, sender, job_id, status, outcome, evidence,
            )?;
        }
        ("job_registry", "commit_evidence") => {
            let mut a = Args::new(args, 3)?;
            let job_id = a.u64()?;
            let evidence = job_registry::EvidenceArgs {
                metering_head: a.bytes()?,
                metered_seconds: a.u64()?,
            };
            job_registry::commit_evidence(state, &mut fx, sender, job_id, evidence)?;
        }
        ("escrow", "deposit") => {
            let mut a = Args::new(args, 2)?;
            let (job_id, amount) = (a.u64()?, a.u64()?);
            escrow::deposit(state, &mut fx, sender, job_id, amount)?;
        }
        ("payment_stream", "settle_batch") => {
            let mut a = Args::new(args, 3)?;
            let (streams, amounts, sigs) = (a.u64_vec()?, a.u64_vec()?, a.bytes_vec()?);
            payment_stream::settle_batch(state, &mut fx, &streams, &amounts, &sigs)?;
        }
        ("payment_stream", "close_stream") => {
            let mut a = Args::new(args, 3)?;
            let (stream_id, cumulative, sig) = (a.u64()?, a.u64()?, a.bytes()?);
            payment_stream::close_stream(state, &mut fx, sender, stream_id, cumulative, sig)?;
        }
        _ => return Err(ExecFailure::Status("LINKER_ERROR")),
    }
    Ok(fx)
}

/// Evaluates a `#[view]` function (`POST /v1/view`), arguments and results as Move JSON.
pub fn view(
    state: &ChainState,
    function: &str,
    type_args: &[String],
    args: &[Value],
) -> Result<Vec<Value>, ViewError> {
    views::call(state, function, type_args, args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use computestream_domain::package_rules as rules;

    #[test]
    fn every_package_rule_names_an_abort_of_its_module() {
        let pk = computestream_domain::SigningKey::from_seed([1; 32]).public_key();
        let broken = [
            rules::check_register_provider("", 1, 1, rules::MIN_STAKE),
            rules::check_register_provider("g", 0, 1, rules::MIN_STAKE),
            rules::check_register_provider("g", rules::MAX_VRAM_GB + 1, 1, rules::MIN_STAKE),
            rules::check_register_provider("g", 1, 0, rules::MIN_STAKE),
            rules::check_register_provider("g", 1, 1, 0),
            rules::check_job_terms("", 1),
            rules::check_job_terms("i", 0),
            rules::check_job_terms("i", rules::MAX_DURATION_SECS + 1),
            rules::check_job_funding(u64::MAX, 2, 0),
            rules::check_job_funding(2, 2, 1),
            rules::check_voucher_key(&pk.0[..31]).map(|_| ()),
            rules::check_deposit(0, 0),
            rules::check_deposit(u64::MAX, 1),
        ];
        let pkg = AccountAddress::new([0xc5; 32]);
        for r in broken {
            let rule = r.expect_err("a broken rule");
            let abort = rule_abort(pkg, rule);
            assert!(abort.code != 0, "{rule} has no abort code in the devnet");
        }
    }
}
