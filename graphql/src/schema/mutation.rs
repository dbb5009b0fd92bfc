//! `MutationRoot`: sign-in, unsigned transaction payloads for a wallet to sign (the
//! package's rules checked first), and submission of a signed transaction.

use async_graphql::ErrorExtensions;
use async_graphql::{Context, Object, SimpleObject, ID};
use computestream_domain::{AccountAddress, PublicKey};

use super::args::*;
use crate::auth::{sign_in_message, SignedIn};
use crate::error::Gql;
use crate::limits::ClientIp;
use crate::payloads::{self, EntryPayload};
use crate::submit::SubmittedTransaction;
use crate::GatewayError;

#[derive(SimpleObject, Debug, Clone)]
pub struct Session {
    pub token: String,
    pub address: String,
    /// Unix milliseconds.
    pub expires_at_ms: String,
}

#[derive(SimpleObject, Debug, Clone)]
pub struct SignInChallenge {
    pub nonce: String,
    /// The exact text to sign (UTF-8 bytes, ed25519) with the account's key.
    pub message: String,
}

/// An unsigned entry-function payload for a wallet to sign and submit.
#[derive(SimpleObject, Debug, Clone)]
pub struct TransactionPayload {
    pub sender: String,
    pub function: String,
    pub type_arguments: Vec<String>,
    /// The arguments in the node API's JSON encoding, one JSON value each.
    pub arguments: Vec<String>,
    /// The whole payload as the node API's JSON (what wallets take).
    pub json: String,
}

fn to_payload(sender: AccountAddress, p: EntryPayload) -> TransactionPayload {
    TransactionPayload {
        sender: sender.to_long_string(),
        json: serde_json::to_string(&p).unwrap_or_default(),
        function: p.function,
        type_arguments: p.type_arguments,
        arguments: p.arguments.iter().map(|a| a.to_string()).collect(),
    }
}

fn caller(ctx: &Context<'_>) -> async_graphql::Result<AccountAddress> {
    ctx.data_opt::<SignedIn>()
        .copied()
        .unwrap_or(SignedIn(None))
        .require()
        .gql()
}

#[derive(Debug)]
pub struct MutationRoot;

#[Object]
impl MutationRoot {
    /// Step 1 of signing in: a one-time nonce and the message to sign.
    async fn sign_in_challenge(
        &self,
        ctx: &Context<'_>,
        address: String,
    ) -> async_graphql::Result<SignInChallenge> {
        let a = parse_address(&address)?;
        let client = ctx.data_opt::<ClientIp>().map(|c| c.0);
        let nonce = services(ctx).sessions.nonce(a, client).gql()?;
        Ok(SignInChallenge {
            message: sign_in_message(&a, &nonce),
            nonce,
        })
    }

    /// Step 2: the signed message opens a session bound to the address. `signature` is over
    /// the challenge's `message`, or, from a wallet's `signMessage({message, nonce})`, over
    /// its `fullMessage` (`APTOS\n…message: …\nnonce: …`), passed as `fullMessage`.
    async fn sign_in(
        &self,
        ctx: &Context<'_>,
        address: String,
        public_key: String,
        nonce: String,
        signature: String,
        full_message: Option<String>,
    ) -> async_graphql::Result<Session> {
        let a = parse_address(&address)?;
        let (token, exp) = services(ctx)
            .sessions
            .sign_in(a, &public_key, &nonce, &signature, full_message.as_deref())
            .gql()?;
        Ok(Session {
            token,
            address: a.to_long_string(),
            expires_at_ms: exp.to_string(),
        })
    }

    async fn build_register_provider(
        &self,
        ctx: &Context<'_>,
        gpu_type: String,
        vram_gb: i32,
        price_per_second: String,
        stake: String,
    ) -> async_graphql::Result<TransactionPayload> {
        let who = caller(ctx)?;
        let vram = u64::try_from(vram_gb).map_err(|_| bad("vramGb must be positive"))?;
        let p = payloads::register_provider(
            &services(ctx).package,
            &gpu_type,
            vram,
            parse_octas(&price_per_second, "pricePerSecond")?,
            parse_octas(&stake, "stake")?,
        )
        .map_err(|r| GatewayError::from(r).extend())?;
        Ok(to_payload(who, p))
    }

    async fn build_update_availability(
        &self,
        ctx: &Context<'_>,
        is_active: bool,
    ) -> async_graphql::Result<TransactionPayload> {
        let who = caller(ctx)?;
        Ok(to_payload(
            who,
            payloads::update_availability(&services(ctx).package, is_active),
        ))
    }

    async fn build_create_job(
        &self,
        ctx: &Context<'_>,
        provider: String,
        docker_image: String,
        max_duration_secs: String,
        escrow_amount: String,
        buyer_public_key: String,
    ) -> async_graphql::Result<TransactionPayload> {
        let who = caller(ctx)?;
        // The voucher key: the account's own key or a session key
        // (see `payment_stream::open_stream`).
        let pk: PublicKey = buyer_public_key
            .parse()
            .map_err(|_| bad("buyerPublicKey must be 32 bytes of hex"))?;
        let max = max_duration_secs
            .parse::<u64>()
            .map_err(|_| bad("maxDurationSecs must be a u64 (decimal digits)"))?;
        let p = payloads::create_job(
            &services(ctx).package,
            &parse_address(&provider)?,
            &docker_image,
            max,
            parse_octas(&escrow_amount, "escrowAmount")?,
            &pk,
        )
        .map_err(|r| GatewayError::from(r).extend())?;
        Ok(to_payload(who, p))
    }

    async fn build_deposit_escrow(
        &self,
        ctx: &Context<'_>,
        job_id: ID,
        amount: String,
    ) -> async_graphql::Result<TransactionPayload> {
        let who = caller(ctx)?;
        let id = parse_id(&job_id)? as u64;
        Ok(to_payload(
            who,
            payloads::deposit(&services(ctx).package, id, parse_octas(&amount, "amount")?)
                .map_err(|r| GatewayError::from(r).extend())?,
        ))
    }

    /// Submits a transaction the signed-in account signed (BCS, hex).
    async fn submit_signed_transaction(
        &self,
        ctx: &Context<'_>,
        bcs_hex: String,
    ) -> async_graphql::Result<SubmittedTransaction> {
        let who = caller(ctx)?;
        let s = services(ctx);
        crate::submit::submit(s, who, &bcs_hex).await.gql()
    }
}
