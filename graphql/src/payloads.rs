//! Unsigned entry-function payloads for a wallet to sign, in the node API's JSON form
//! (`{function, type_arguments, arguments}`, u64 as decimal strings, bytes as `0x` hex).
//! Each builder first checks the arguments against the package's rules
//! ([`computestream_domain::package_rules`]) so a payload the chain would abort is refused
//! before anyone signs it.

use computestream_domain::package_rules::{self, PackageRule};
use computestream_domain::{AccountAddress, Octas, PublicKey};
use serde::Serialize;
use serde_json::{json, Value};

/// An entry-function call for a wallet: `function` is `<package>::<module>::<name>`,
/// `arguments` in the node API's JSON (u64 as decimal strings, bytes as `0x` hex).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct EntryPayload {
    pub function: String,
    pub type_arguments: Vec<String>,
    #[schema(value_type = Vec<Value>)]
    pub arguments: Vec<Value>,
}

fn call(
    package: &AccountAddress,
    module: &str,
    function: &str,
    arguments: Vec<Value>,
) -> EntryPayload {
    EntryPayload {
        function: format!("{}::{module}::{function}", package.to_long_string()),
        type_arguments: Vec::new(),
        arguments,
    }
}

pub fn register_provider(
    package: &AccountAddress,
    gpu_type: &str,
    vram_gb: u64,
    price_per_second: Octas,
    stake: Octas,
) -> Result<EntryPayload, PackageRule> {
    package_rules::check_register_provider(gpu_type, vram_gb, price_per_second.get(), stake.get())?;
    Ok(call(
        package,
        "provider_registry",
        "register_provider",
        vec![
            json!(gpu_type),
            json!(vram_gb.to_string()),
            json!(price_per_second.to_string()),
            json!(stake.to_string()),
        ],
    ))
}

pub fn update_availability(package: &AccountAddress, is_active: bool) -> EntryPayload {
    call(
        package,
        "provider_registry",
        "update_availability",
        vec![json!(is_active)],
    )
}

pub fn create_job(
    package: &AccountAddress,
    provider: &AccountAddress,
    docker_image: &str,
    max_duration_secs: u64,
    escrow: Octas,
    voucher_key: &PublicKey,
) -> Result<EntryPayload, PackageRule> {
    package_rules::check_job_terms(docker_image, max_duration_secs)?;
    package_rules::check_voucher_key(&voucher_key.0)?;
    if escrow.get() == 0 {
        return Err(PackageRule {
            module: "escrow",
            name: "E_ZERO_AMOUNT",
        });
    }
    Ok(call(
        package,
        "job_registry",
        "create_job",
        vec![
            json!(provider.to_long_string()),
            json!(docker_image),
            json!(max_duration_secs.to_string()),
            json!(escrow.to_string()),
            json!(voucher_key.to_string()),
        ],
    ))
}

pub fn deposit(
    package: &AccountAddress,
    job_id: u64,
    amount: Octas,
) -> Result<EntryPayload, PackageRule> {
    package_rules::check_deposit(0, amount.get())?;
    Ok(call(
        package,
        "escrow",
        "deposit",
        vec![json!(job_id.to_string()), json!(amount.to_string())],
    ))
}
