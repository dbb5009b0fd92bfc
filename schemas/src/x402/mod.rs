//! The x402 v2 wire types ComputeStream speaks, and its `batch-settlement` binding for
//! Movement (`docs/x402-batch-settlement-movement.md`).
//!
//! - `PaymentRequirements`: what a resource server asks for (in `PAYMENT-REQUIRED`);
//! - `PaymentPayload`: what the buyer sends (in `PAYMENT-SIGNATURE`): a cumulative voucher;
//! - the facilitator's `/verify`, `/settle` and `/supported` bodies.
//!
//! Field names follow the x402 v2 specification (camelCase); amounts are decimal strings.

use computestream_domain::{
    AccountAddress, Octas, PublicKey, Signature, SignatureChecked, SignedVoucher, Voucher,
    VoucherError,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const X402_VERSION: u32 = 2;
pub const SCHEME: &str = "batch-settlement";

/// `movement:<chain id>`, the CAIP-2 style network id of the binding.
pub fn network(chain_id: u8) -> String {
    format!("movement:{chain_id}")
}

/// The error reasons of the binding (`invalidReason` / `errorReason`).
pub mod reason {
    pub const INVALID_X402_VERSION: &str = "invalid_x402_version";
    pub const UNSUPPORTED_SCHEME: &str = "unsupported_scheme";
    pub const INVALID_NETWORK: &str = "invalid_network";
    pub const INVALID_PAYLOAD: &str = "invalid_payload";
    pub const INVALID_SIGNATURE: &str = "invalid_signature";
    pub const INSUFFICIENT_FUNDS: &str = "insufficient_funds";
    pub const STREAM_NOT_FOUND: &str = "invalid_batch_settlement_movement_stream_not_found";
    pub const STREAM_CLOSED: &str = "invalid_batch_settlement_movement_stream_closed";
    pub const STREAM_MISMATCH: &str = "invalid_batch_settlement_movement_stream_mismatch";
    pub const RECEIVER_MISMATCH: &str = "invalid_batch_settlement_movement_receiver_mismatch";
    pub const ASSET_MISMATCH: &str = "invalid_batch_settlement_movement_asset_mismatch";
    pub const CUMULATIVE_AMOUNT_MISMATCH: &str =
        "invalid_batch_settlement_movement_cumulative_amount_mismatch";
    pub const COMMITMENT_NOT_STORED: &str =
        "invalid_batch_settlement_movement_commitment_not_stored";
    /// Another payment of the same stream is being stored: retry shortly (requests are
    /// serialised per payment stream).
    pub const CHANNEL_BUSY: &str = "invalid_batch_settlement_movement_channel_busy";
}

/// The binding's reason for a voucher the domain rules refuse.
pub fn voucher_reason(e: &VoucherError) -> &'static str {
    match e {
        VoucherError::WrongChain { .. } => reason::INVALID_NETWORK,
        VoucherError::WrongPackage { .. } => reason::INVALID_PAYLOAD,
        VoucherError::WrongStream { .. } => reason::STREAM_MISMATCH,
        VoucherError::WrongSigner | VoucherError::BadSignature => reason::INVALID_SIGNATURE,
        VoucherError::Decreasing { .. } => reason::CUMULATIVE_AMOUNT_MISMATCH,
        VoucherError::ExceedsEscrow { .. } => reason::INSUFFICIENT_FUNDS,
    }
}

/// A refused payment: the binding's reason, and the payer when the voucher was readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub reason: &'static str,
    pub payer: Option<String>,
}

impl Rejection {
    pub fn new(reason: &'static str, payer: Option<String>) -> Self {
        Rejection { reason, payer }
    }
}

/// A payment whose form is right (rules 1-7 of the binding): what is left to check needs
/// the stream's state, which the caller holds.
#[derive(Debug, Clone)]
pub struct FormChecked {
    pub voucher: SignatureChecked<SignedVoucher>,
    /// The buyer's address (the authentication key of the voucher's key).
    pub payer: String,
    pub pay_to: AccountAddress,
    /// The price of the unit paid for (`amount`).
    pub price: Octas,
}

/// Rules 1-7 of the binding: version, scheme, network, payload form, asset, stream match,
/// strict signature. `payload` is what the buyer sent, `requirements` what the server asks.
pub fn check_form(
    payload: &PaymentPayload,
    requirements: &PaymentRequirements,
    chain_id: u8,
) -> Result<FormChecked, Rejection> {
    let no = |r| Rejection::new(r, None);
    if payload.x402_version != X402_VERSION {
        return Err(no(reason::INVALID_X402_VERSION));
    }
    if requirements.scheme != SCHEME || payload.accepted.scheme != SCHEME {
        return Err(no(reason::UNSUPPORTED_SCHEME));
    }
    let net = network(chain_id);
    if requirements.network != net || payload.accepted.network != net {
        return Err(no(reason::INVALID_NETWORK));
    }
    if payload.payload.kind != "voucher" {
        return Err(no(reason::INVALID_PAYLOAD));
    }
    // The asset is a type tag: compared parsed, so any address form of 0x1 is the native coin.
    let native = computestream_domain::StructTag::parse(&requirements.asset).is_ok_and(|t| {
        t.is(&AccountAddress::ONE, "aptos_coin", "AptosCoin") && t.type_args.is_empty()
    });
    if !native {
        return Err(no(reason::ASSET_MISMATCH));
    }
    let voucher = payload
        .payload
        .voucher
        .to_signed()
        .map_err(|_| no(reason::INVALID_PAYLOAD))?;
    let payer = computestream_domain::ed25519_authentication_key(&voucher.buyer_public_key)
        .to_long_string();
    let who = |r| Rejection::new(r, Some(payer.clone()));
    if requirements.extra.stream_id != voucher.voucher.stream_id.to_string() {
        return Err(who(reason::STREAM_MISMATCH));
    }
    let pay_to: AccountAddress = requirements
        .pay_to
        .parse()
        .map_err(|_| who(reason::INVALID_PAYLOAD))?;
    let price: Octas = requirements
        .amount
        .parse()
        .map_err(|_| who(reason::INVALID_PAYLOAD))?;
    let voucher = SignatureChecked::voucher(voucher).map_err(|e| who(voucher_reason(&e)))?;
    Ok(FormChecked {
        voucher,
        payer,
        pay_to,
        price,
    })
}

/// `accepts[]` entry of a 402 response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequirements {
    pub scheme: String,
    pub network: String,
    /// The price of one unit (one second of the job), octas.
    pub amount: String,
    /// The coin type, `0x1::aptos_coin::AptosCoin`.
    pub asset: String,
    /// The provider's address: where redeemed vouchers pay.
    pub pay_to: String,
    pub max_timeout_seconds: u64,
    #[serde(default)]
    pub extra: RequirementsExtra,
}

impl PaymentRequirements {
    /// What a provider asks for one second of stream `stream_id` at `rate` octas.
    pub fn for_stream(
        chain_id: u8,
        package: AccountAddress,
        stream_id: u64,
        rate: Octas,
        pay_to: AccountAddress,
    ) -> Self {
        PaymentRequirements {
            scheme: SCHEME.into(),
            network: network(chain_id),
            amount: rate.to_string(),
            asset: computestream_domain::NATIVE_COIN.into(),
            pay_to: pay_to.to_long_string(),
            max_timeout_seconds: 60,
            extra: RequirementsExtra {
                stream_id: stream_id.to_string(),
                rate_per_second: rate.to_string(),
                package: package.to_long_string(),
                charged_cumulative_amount: None,
                served_seconds: None,
                max_cumulative_amount: None,
            },
        }
    }
}

impl FacilitatorRequest {
    /// A `/verify` or `/settle` body paying `requirements` with `voucher`.
    pub fn voucher(requirements: PaymentRequirements, voucher: &SignedVoucher) -> Self {
        FacilitatorRequest {
            x402_version: X402_VERSION,
            payment_payload: PaymentPayload {
                x402_version: X402_VERSION,
                resource: None,
                accepted: requirements.clone(),
                payload: BatchPayload {
                    kind: "voucher".into(),
                    voucher: VoucherPayload::from_signed(voucher),
                },
            },
            payment_requirements: requirements,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequirementsExtra {
    /// The payment stream (= job id) vouchers must name.
    #[serde(default)]
    pub stream_id: String,
    #[serde(default)]
    pub rate_per_second: String,
    /// The ComputeStream package address vouchers are bound to.
    #[serde(default)]
    pub package: String,
    /// The newest cumulative amount the server holds (every 402, so a client that lost its
    /// state resumes from it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charged_cumulative_amount: Option<String>,
    /// Seconds of the job the server has served (metered) so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_seconds: Option<String>,
    /// The largest cumulative amount the server accepts now: the escrow, or the seconds
    /// served plus the server's lead (`executor.payment_ahead_secs`) times the rate, whichever
    /// is less. A client that fell behind catches up with one voucher up to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_cumulative_amount: Option<String>,
}

/// The body of `PAYMENT-SIGNATURE`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentPayload {
    pub x402_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Value>,
    pub accepted: PaymentRequirements,
    pub payload: BatchPayload,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchPayload {
    /// Always `"voucher"` in this binding (deposits happen on chain with `create_job`).
    #[serde(rename = "type")]
    pub kind: String,
    pub voucher: VoucherPayload,
}

/// A cumulative voucher on the wire. Its signed bytes are the BCS of the Move
/// `VoucherMessage` (see `computestream_domain::Voucher::signing_bytes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VoucherPayload {
    pub stream_id: String,
    pub cumulative_amount: String,
    pub chain_id: u8,
    pub package: String,
    /// 32-byte ed25519 public key, `0x`-hex.
    pub buyer_public_key: String,
    /// 64-byte ed25519 signature, `0x`-hex.
    pub signature: String,
}

impl VoucherPayload {
    pub fn from_signed(v: &SignedVoucher) -> Self {
        VoucherPayload {
            stream_id: v.voucher.stream_id.to_string(),
            cumulative_amount: v.voucher.cumulative_amount.to_string(),
            chain_id: v.voucher.chain_id,
            package: v.voucher.package.to_long_string(),
            buyer_public_key: v.buyer_public_key.to_string(),
            signature: v.signature.to_string(),
        }
    }

    /// The domain voucher, or why the payload is malformed.
    pub fn to_signed(&self) -> Result<SignedVoucher, String> {
        let stream_id = self
            .stream_id
            .parse::<u64>()
            .map_err(|_| format!("streamId {:?} is not a u64", self.stream_id))?;
        let cumulative_amount: Octas = self
            .cumulative_amount
            .parse()
            .map_err(|e| format!("cumulativeAmount: {e}"))?;
        let package: AccountAddress = self.package.parse().map_err(|e| format!("package: {e}"))?;
        let buyer_public_key: PublicKey = self
            .buyer_public_key
            .parse()
            .map_err(|e| format!("buyerPublicKey: {e}"))?;
        let signature: Signature = self
            .signature
            .parse()
            .map_err(|e| format!("signature: {e}"))?;
        Ok(SignedVoucher {
            voucher: Voucher {
                chain_id: self.chain_id,
                package,
                stream_id,
                cumulative_amount,
            },
            buyer_public_key,
            signature,
        })
    }
}

/// The HTTP transport's headers.
pub mod header;

/// What a 402 carries (`PAYMENT-REQUIRED`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequired {
    pub x402_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub resource: ResourceInfo,
    pub accepts: Vec<PaymentRequirements>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceInfo {
    pub url: String,
    pub description: String,
    pub mime_type: String,
}

/// `POST /verify` and `POST /settle` request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FacilitatorRequest {
    pub x402_version: u32,
    pub payment_payload: PaymentPayload,
    pub payment_requirements: PaymentRequirements,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyResponse {
    pub is_valid: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Value>,
}

/// `PAYMENT-RESPONSE` body and `POST /settle` response. For batch-settlement a voucher's
/// value moves later, at redemption: `transaction` and `amount` are empty and
/// `extra.commitmentId` names the stored commitment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettleResponse {
    pub success: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<String>,
    pub transaction: String,
    pub network: String,
    pub amount: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupportedKind {
    pub x402_version: u32,
    pub scheme: String,
    pub network: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupportedResponse {
    pub kinds: Vec<SupportedKind>,
    #[serde(default)]
    pub extensions: Vec<String>,
    #[serde(default)]
    pub signers: std::collections::BTreeMap<String, Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use computestream_domain::SigningKey;

    #[test]
    fn voucher_payload_round_trips_and_uses_x402_field_names() {
        let v = Voucher {
            chain_id: 4,
            package: AccountAddress::new([0xc5; 32]),
            stream_id: 12,
            cumulative_amount: Octas(3_000),
        }
        .sign(&SigningKey::from_seed([5; 32]));
        assert_eq!(VoucherPayload::from_signed(&v).to_signed(), Ok(v));
        let reqs = PaymentRequirements::for_stream(
            4,
            AccountAddress::new([0xc5; 32]),
            12,
            Octas(1000),
            AccountAddress::new([1; 32]),
        );
        let json = serde_json::to_value(FacilitatorRequest::voucher(reqs, &v)).expect("json");
        for path in [
            "/x402Version",
            "/paymentPayload/accepted/payTo",
            "/paymentPayload/accepted/maxTimeoutSeconds",
            "/paymentPayload/payload/type",
            "/paymentPayload/payload/voucher/cumulativeAmount",
            "/paymentRequirements/network",
        ] {
            assert!(json.pointer(path).is_some(), "{path} missing in {json}");
        }
    }

    #[test]
    fn malformed_payloads_say_what_is_wrong() {
        let mut p = VoucherPayload::from_signed(
            &Voucher {
                chain_id: 4,
                package: AccountAddress::new([1; 32]),
                stream_id: 1,
                cumulative_amount: Octas(1),
            }
            .sign(&SigningKey::from_seed([5; 32])),
        );
        p.cumulative_amount = "-1".into();
        assert!(p
            .to_signed()
            .expect_err("malformed")
            .contains("cumulativeAmount"));
        p.cumulative_amount = "1".into();
        p.signature = "0x12".into();
        assert!(p.to_signed().expect_err("malformed").contains("signature"));
    }

    #[test]
    fn the_asset_and_pay_to_are_compared_parsed_not_as_strings() {
        let key = SigningKey::from_seed([5; 32]);
        let v = Voucher {
            chain_id: 4,
            package: AccountAddress::new([0xc5; 32]),
            stream_id: 12,
            cumulative_amount: Octas(1000),
        }
        .sign(&key);
        let provider = "0x0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a"
            .parse::<AccountAddress>()
            .expect("provider");
        let mut reqs = PaymentRequirements::for_stream(
            4,
            AccountAddress::new([0xc5; 32]),
            12,
            Octas(1000),
            provider,
        );
        for asset in [
            "0x1::aptos_coin::AptosCoin",
            "0x0000000000000000000000000000000000000000000000000000000000000001::aptos_coin::AptosCoin",
            "0x01::aptos_coin::AptosCoin",
        ] {
            reqs.asset = asset.into();
            reqs.pay_to = provider.to_hex_literal();
            let req = FacilitatorRequest::voucher(reqs.clone(), &v);
            let checked = check_form(&req.payment_payload, &req.payment_requirements, 4)
                .unwrap_or_else(|r| panic!("{asset}: {}", r.reason));
            assert_eq!(checked.pay_to, provider);
        }
        for asset in [
            "0x2::aptos_coin::AptosCoin",
            "0x1::aptos_coin::AptosCoin<u8>",
            "AptosCoin",
        ] {
            reqs.asset = asset.into();
            let req = FacilitatorRequest::voucher(reqs.clone(), &v);
            let r =
                check_form(&req.payment_payload, &req.payment_requirements, 4).expect_err(asset);
            assert_eq!(r.reason, reason::ASSET_MISMATCH, "{asset}");
        }
    }
}
