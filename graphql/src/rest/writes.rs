//! The writes of `/api/v1`: each needs a session (`Authorization: Bearer`, from the GraphQL
//! `signIn`) and returns the unsigned entry-function payload for the session's wallet (the
//! chain is the only place state changes); `POST /transactions` submits what it signed.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use computestream_domain::AccountAddress;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::errors::{Refusals, WriteRefusals};
use super::inputs;
use crate::app_state::{bearer, AppState};
use crate::payloads::{self, EntryPayload};
use crate::GatewayError;

fn who(state: &AppState, headers: &HeaderMap) -> Result<AccountAddress, GatewayError> {
    bearer(headers)
        .and_then(|t| state.services.sessions.who(&t))
        .ok_or(GatewayError::Unauthenticated)
}

/// An unsigned transaction payload for `sender`'s wallet.
#[derive(Debug, Serialize, ToSchema)]
pub struct PayloadOut {
    /// The account that must sign it (the session's), long form.
    #[schema(pattern = "^(0x)?[0-9a-fA-F]{1,64}$")]
    pub sender: String,
    pub payload: EntryPayload,
}

fn payload(sender: AccountAddress, p: EntryPayload) -> Json<PayloadOut> {
    Json(PayloadOut {
        sender: sender.to_long_string(),
        payload: p,
    })
}

type Written = Result<Json<PayloadOut>, GatewayError>;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"gpuType": "H100", "vramGb": 80, "pricePerSecond": "1000",
    "stake": "100000000"}))]
pub struct RegisterBody {
    #[schema(pattern = "^[A-Za-z0-9 ._-]{1,64}$")]
    gpu_type: String,
    #[schema(minimum = 1, maximum = 1048576)]
    #[serde(deserialize_with = "inputs::whole_number")]
    vram_gb: u64,
    /// Octas per second, more than 0.
    #[schema(pattern = "^[1-9][0-9]{0,18}$")]
    price_per_second: String,
    /// Octas, at least 100000000 (1 MOVE).
    #[schema(pattern = "^[1-9][0-9]{8,18}$")]
    stake: String,
}

/// Build the payload that registers the signed-in account as a provider.
#[utoipa::path(post, path = "/providers/register", request_body = RegisterBody,
    responses((status = 200, body = PayloadOut), Refusals, WriteRefusals),
    security(("session" = [])))]
pub async fn register(
    State(st): State<AppState>,
    headers: HeaderMap,
    Json(b): Json<RegisterBody>,
) -> Written {
    let sender = who(&st, &headers)?;
    Ok(payload(
        sender,
        payloads::register_provider(
            &st.services.package,
            inputs::gpu_type(&b.gpu_type, "gpuType")?,
            b.vram_gb,
            inputs::positive_octas(&b.price_per_second, "pricePerSecond")?,
            inputs::stake(&b.stake, "stake")?,
        )?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"isActive": false}))]
pub struct AvailabilityBody {
    is_active: bool,
}

/// Build the payload that sets the signed-in provider's availability.
#[utoipa::path(patch, path = "/providers/{id}/availability", request_body = AvailabilityBody,
    params(("id" = String, Path, description = "the provider's address (the session's)",
        pattern = "^(0x)?[0-9a-fA-F]{1,64}$")),
    responses((status = 200, body = PayloadOut), Refusals, WriteRefusals),
    security(("session" = [])))]
pub async fn availability(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(b): Json<AvailabilityBody>,
) -> Written {
    let sender = who(&st, &headers)?;
    if inputs::address(&id, "id")? != sender {
        return Err(GatewayError::Forbidden(
            "a provider changes only its own availability".into(),
        ));
    }
    Ok(payload(
        sender,
        payloads::update_availability(&st.services.package, b.is_active),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"provider": "0x1", "dockerImage": "computestream/busybox:latest",
    "maxDurationSecs": 3600, "escrowAmount": "3600000",
    "buyerPublicKey": "0xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"}))]
pub struct CreateJobBody {
    #[schema(pattern = "^(0x)?[0-9a-fA-F]{1,64}$")]
    provider: String,
    #[schema(min_length = 1, max_length = 256)]
    docker_image: String,
    #[schema(minimum = 1, maximum = 31536000)]
    #[serde(deserialize_with = "inputs::whole_number")]
    max_duration_secs: u64,
    /// Octas, more than 0 (the chain also wants at least one second of the provider's
    /// price: the transaction aborts with `E_ESCROW_TOO_LOW` otherwise).
    #[schema(pattern = "^[1-9][0-9]{0,18}$")]
    escrow_amount: String,
    /// The voucher key: the account's own ed25519 key or a session key. Format
    /// `ed25519-public-key`: 64 hex digits (`0x` optional) that are a valid curve point of
    /// full order.
    #[schema(format = "ed25519-public-key")]
    buyer_public_key: String,
}

/// Build the payload that creates a job (deposits its escrow, opens its payment stream).
#[utoipa::path(post, path = "/jobs/create", request_body = CreateJobBody,
    responses((status = 200, body = PayloadOut), Refusals, WriteRefusals),
    security(("session" = [])))]
pub async fn create_job(
    State(st): State<AppState>,
    headers: HeaderMap,
    Json(b): Json<CreateJobBody>,
) -> Written {
    let sender = who(&st, &headers)?;
    // The voucher key: the account's own key or a session key (see `payment_stream::open_stream`).
    let pk = inputs::ed25519_key(&b.buyer_public_key, "buyerPublicKey")?;
    Ok(payload(
        sender,
        payloads::create_job(
            &st.services.package,
            &inputs::address(&b.provider, "provider")?,
            &b.docker_image,
            b.max_duration_secs,
            inputs::positive_octas(&b.escrow_amount, "escrowAmount")?,
            &pk,
        )?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"jobId": "1", "amount": "5000"}))]
pub struct DepositBody {
    #[schema(pattern = "^(0|[1-9][0-9]{0,17})$")]
    job_id: String,
    /// Octas, more than 0.
    #[schema(pattern = "^[1-9][0-9]{0,18}$")]
    amount: String,
}

/// Build the payload that tops up a job's escrow.
#[utoipa::path(post, path = "/escrow/deposit", request_body = DepositBody,
    responses((status = 200, body = PayloadOut), Refusals, WriteRefusals),
    security(("session" = [])))]
pub async fn deposit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Json(b): Json<DepositBody>,
) -> Written {
    let sender = who(&st, &headers)?;
    let id = inputs::job_id(&b.job_id, "jobId")? as u64;
    Ok(payload(
        sender,
        payloads::deposit(
            &st.services.package,
            id,
            inputs::positive_octas(&b.amount, "amount")?,
        )?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubmitBody {
    /// The signed transaction, sent by the session's account. Format
    /// `aptos-signed-transaction`: the BCS bytes of an Aptos `SignedTransaction` as hex
    /// (`0x` optional), at most 65000 characters (the body is at most
    /// `gateway.max_body_bytes`, 64 KiB by default).
    #[schema(format = "aptos-signed-transaction")]
    bcs_hex: String,
}

/// A submitted transaction.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmittedOut {
    pub hash: String,
    pub sender: String,
}

/// Submit a transaction the signed-in account signed.
#[utoipa::path(post, path = "/transactions", request_body = SubmitBody,
    responses((status = 200, body = SubmittedOut), Refusals, WriteRefusals),
    security(("session" = [])))]
pub async fn submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Json(b): Json<SubmitBody>,
) -> Result<Json<SubmittedOut>, GatewayError> {
    let sender = who(&st, &headers)?;
    inputs::bcs_hex(&b.bcs_hex, "bcsHex")?;
    let done = crate::submit::submit(&st.services, sender, &b.bcs_hex).await?;
    Ok(Json(SubmittedOut {
        hash: done.hash,
        sender: done.sender,
    }))
}
