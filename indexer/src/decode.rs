//! From the node's JSON to `schemas` events. Pure.
//!
//! Only successful user transactions yield events. Each event of the ComputeStream package
//! becomes an [`Envelope`] with id `chain:{version}:{index}`; the coin withdrawals and
//! deposits of a transaction that moved escrow become `escrow_coin_moved`. An event of the
//! package that is unknown or does not have the expected fields becomes a [`DeadLetter`]
//! with the raw JSON and the reason — never dropped, never a crash.

use computestream_domain::StructTag;
use computestream_domain::{AccountAddress, JobStatus, Octas, PublicKey, RecordHash};
use computestream_nodeapi::{Event as NodeEvent, UserTransaction};
use computestream_schemas::events::*;
use computestream_schemas::{Envelope, Event};
use serde_json::Value;

/// A package event the indexer could not read.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    pub version: u64,
    pub event_index: u32,
    pub type_: String,
    pub raw: Value,
    pub reason: String,
}

impl DeadLetter {
    pub fn key(&self) -> String {
        format!("chain:{}:{}", self.version, self.event_index)
    }

    /// The dead-letter record: where it came from, the raw event and why.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "source": "indexer",
            "id": self.key(),
            "version": self.version.to_string(),
            "event_index": self.event_index,
            "type": self.type_,
            "raw": self.raw,
            "reason": self.reason,
        }))
        .unwrap_or_default()
    }
}

/// What one transaction yields.
#[derive(Debug, Default)]
pub struct Decoded {
    pub events: Vec<Envelope>,
    pub dead_letters: Vec<DeadLetter>,
}

/// Reads fields of a Move event's JSON.
struct Fields<'a>(&'a Value);

impl Fields<'_> {
    fn get(&self, k: &str) -> Result<&Value, String> {
        self.0.get(k).ok_or_else(|| format!("missing field {k}"))
    }

    fn str(&self, k: &str) -> Result<String, String> {
        self.get(k)?
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{k} is not a string"))
    }

    fn u64(&self, k: &str) -> Result<u64, String> {
        let s = self.str(k)?;
        s.parse().map_err(|_| format!("{k} = {s:?} is not a u64"))
    }

    fn octas(&self, k: &str) -> Result<Octas, String> {
        self.u64(k).map(Octas)
    }

    fn u8(&self, k: &str) -> Result<u8, String> {
        let v = self.get(k)?;
        v.as_u64()
            .and_then(|n| u8::try_from(n).ok())
            .ok_or_else(|| format!("{k} = {v} is not a u8"))
    }

    fn bool(&self, k: &str) -> Result<bool, String> {
        self.get(k)?
            .as_bool()
            .ok_or_else(|| format!("{k} is not a bool"))
    }

    fn address(&self, k: &str) -> Result<AccountAddress, String> {
        let s = self.str(k)?;
        s.parse()
            .map_err(|_| format!("{k} = {s:?} is not an address"))
    }

    /// `Option<T>` as `{"vec": []}` or `{"vec": [x]}`.
    fn option(&self, k: &str) -> Result<Option<Value>, String> {
        let vec = self
            .get(k)?
            .get("vec")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("{k} is not an Option"))?;
        match vec.as_slice() {
            [] => Ok(None),
            [x] => Ok(Some(x.clone())),
            _ => Err(format!("{k} has more than one element")),
        }
    }

    fn option_string(&self, k: &str) -> Result<Option<String>, String> {
        self.option(k)?
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{k} is not an Option<String>"))
            })
            .transpose()
    }
}

fn status(f: &Fields<'_>, k: &str) -> Result<JobStatus, String> {
    JobStatus::from_code(f.u8(k)?).map_err(|e| e.to_string())
}

/// Decodes one event of the package, by `module::Name`.
fn package_event(name: &str, data: &Value) -> Result<Event, String> {
    let f = Fields(data);
    Ok(match name {
        "provider_registry::ProviderRegistered" => ProviderRegistered {
            provider: f.address("provider")?,
            gpu_type: f.str("gpu_type")?,
            vram_gb: u32::try_from(f.u64("vram_gb")?)
                .map_err(|_| "vram_gb does not fit u32".to_owned())?,
            price_per_second: f.octas("price_per_second")?,
            stake: f.octas("stake")?,
        }
        .into(),
        "provider_registry::PriceUpdated" => ProviderPriceUpdated {
            provider: f.address("provider")?,
            price_per_second: f.octas("price_per_second")?,
        }
        .into(),
        "provider_registry::AvailabilityUpdated" => ProviderAvailabilityUpdated {
            provider: f.address("provider")?,
            is_active: f.bool("is_active")?,
        }
        .into(),
        "provider_registry::Staked" => ProviderStaked {
            provider: f.address("provider")?,
            amount: f.octas("amount")?,
            total_stake: f.octas("total_stake")?,
        }
        .into(),
        "provider_registry::Unstaked" => ProviderUnstaked {
            provider: f.address("provider")?,
            amount: f.octas("amount")?,
        }
        .into(),
        "job_registry::JobCreated" => JobCreated {
            job_id: f.u64("job_id")?,
            buyer: f.address("buyer")?,
            provider: f.address("provider")?,
            docker_image: f.str("docker_image")?,
            max_duration_secs: f.u64("max_duration_secs")?,
            escrow_amount: f.octas("escrow_amount")?,
            price_per_second: f.octas("price_per_second")?,
        }
        .into(),
        "job_registry::JobStatusChanged" => JobStatusChanged {
            job_id: f.u64("job_id")?,
            from: status(&f, "from")?,
            to: status(&f, "to")?,
            actor: f.address("actor")?,
            exit_code: f
                .option_string("exit_code")?
                .map(|s| s.parse::<u64>().map_err(|_| format!("exit_code {s:?}")))
                .transpose()?,
            reason: f.str("reason")?,
            output_url: f.option_string("output_url")?,
            output_cid: f.option_string("output_cid")?,
        }
        .into(),
        "job_registry::EvidenceCommitted" => JobEvidenceCommitted {
            job_id: f.u64("job_id")?,
            provider: f.address("provider")?,
            metering_head: f
                .str("metering_head")?
                .parse::<RecordHash>()
                .map_err(|e| format!("metering_head: {e}"))?,
            metered_seconds: f.u64("metered_seconds")?,
        }
        .into(),
        "escrow::Deposited" => EscrowDeposited {
            job_id: f.u64("job_id")?,
            buyer: f.address("buyer")?,
            amount: f.octas("amount")?,
            total_deposited: f.octas("total_deposited")?,
        }
        .into(),
        "escrow::Released" => EscrowReleased {
            job_id: f.u64("job_id")?,
            provider: f.address("provider")?,
            amount: f.octas("amount")?,
            total_released: f.octas("total_released")?,
        }
        .into(),
        "escrow::Refunded" => EscrowRefunded {
            job_id: f.u64("job_id")?,
            buyer: f.address("buyer")?,
            amount: f.octas("amount")?,
        }
        .into(),
        "payment_stream::StreamOpened" => StreamOpened {
            stream_id: f.u64("stream_id")?,
            buyer: f.address("buyer")?,
            provider: f.address("provider")?,
            buyer_public_key: f
                .str("buyer_public_key")?
                .parse::<PublicKey>()
                .map_err(|e| e.to_string())?,
            rate_per_second: f.octas("rate_per_second")?,
            escrow: f.octas("escrow")?,
        }
        .into(),
        "payment_stream::StreamSettled" => StreamSettled {
            stream_id: f.u64("stream_id")?,
            cumulative_amount: f.octas("cumulative_amount")?,
            paid_now: f.octas("paid_now")?,
            paid_total: f.octas("paid_total")?,
        }
        .into(),
        "payment_stream::VoucherRejected" => VoucherRejected {
            stream_id: f.u64("stream_id")?,
            cumulative_amount: f.octas("cumulative_amount")?,
            reason: f.u8("reason")?,
        }
        .into(),
        "payment_stream::StreamClosed" => StreamClosed {
            stream_id: f.u64("stream_id")?,
            final_payment: f.octas("final_payment")?,
            paid_total: f.octas("paid_total")?,
            refunded: f.octas("refunded")?,
        }
        .into(),
        other => return Err(format!("unknown event {other} of the package")),
    })
}

fn coin_event(tag: &StructTag, e: &NodeEvent, job_id: u64) -> Option<Result<Event, String>> {
    let direction = if tag.is(&AccountAddress::ONE, "coin", "CoinWithdraw") {
        CoinDirection::Withdraw
    } else if tag.is(&AccountAddress::ONE, "coin", "CoinDeposit") {
        CoinDirection::Deposit
    } else {
        return None;
    };
    let f = Fields(&e.data);
    Some((|| {
        Ok(EscrowCoinMoved {
            job_id,
            account: f.address("account")?,
            direction,
            amount: f.octas("amount")?,
            coin_type: f.str("coin_type")?,
        }
        .into())
    })())
}

/// Decodes one committed user transaction.
pub fn transaction(
    chain_id: u8,
    package: &AccountAddress,
    t: &UserTransaction,
) -> Result<Decoded, String> {
    let mut out = Decoded::default();
    if !t.success {
        return Ok(out);
    }
    let version: u64 = t
        .version
        .parse()
        .map_err(|_| format!("version {:?}", t.version))?;
    let occurred_at_ms = t
        .timestamp
        .parse::<u64>()
        .map_err(|_| format!("timestamp {:?}", t.timestamp))?
        / 1_000;
    // Types are parsed and their addresses compared as addresses: the node prints a type
    // tag's address with its leading zeros dropped. An event whose type does not parse
    // cannot be classified and is dead-lettered with the reason, never dropped.
    let tags: Vec<Result<StructTag, String>> = t
        .events
        .iter()
        .map(|e| StructTag::parse(&e.type_).map_err(|err| err.to_string()))
        .collect();
    let ours = |tag: &StructTag| tag.address == *package;
    // The job whose escrow this transaction moved, if any: its coin events belong to it.
    let escrow_job = t.events.iter().zip(&tags).find_map(|(e, tag)| {
        let tag = tag.as_ref().ok()?;
        (ours(tag) && tag.module == "escrow")
            .then(|| Fields(&e.data).u64("job_id").ok())
            .flatten()
    });
    for (i, (e, tag)) in t.events.iter().zip(&tags).enumerate() {
        let idx = u32::try_from(i).map_err(|_| "more than u32::MAX events".to_owned())?;
        let decoded = match tag {
            Err(reason) => Some(Err(reason.clone())),
            Ok(tag) if ours(tag) => {
                if tag.type_args.is_empty() {
                    Some(package_event(
                        &format!("{}::{}", tag.module, tag.name),
                        &e.data,
                    ))
                } else {
                    Some(Err(format!("{} of the package is generic", e.type_)))
                }
            }
            Ok(tag) => escrow_job.and_then(|job| coin_event(tag, e, job)),
        };
        match decoded {
            None => {}
            Some(Ok(ev)) => {
                out.events
                    .push(Envelope::chain(chain_id, version, idx, occurred_at_ms, ev))
            }
            Some(Err(reason)) => out.dead_letters.push(DeadLetter {
                version,
                event_index: idx,
                type_: e.type_.clone(),
                raw: serde_json::to_value(e).unwrap_or(Value::Null),
                reason,
            }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use computestream_nodeapi::EventGuid;
    use serde_json::json;

    const PKG: &str = "0xc5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5";

    fn ev(type_: &str, data: Value) -> NodeEvent {
        NodeEvent {
            guid: EventGuid::module_event(),
            sequence_number: "0".into(),
            type_: type_.into(),
            data,
        }
    }

    fn txn(success: bool, events: Vec<NodeEvent>) -> UserTransaction {
        serde_json::from_value(json!({
            "version": "42", "hash": "0x1", "state_change_hash": "", "event_root_hash": "", "state_checkpoint_hash": null,
            "gas_used": "1", "success": success, "vm_status": "Executed successfully", "accumulator_root_hash": "",
            "changes": [], "sender": "0x1", "sequence_number": "0", "max_gas_amount": "1", "gas_unit_price": "100",
            "expiration_timestamp_secs": "1", "payload": {}, "signature": null, "events": events,
            "timestamp": "1700000000123456",
        }))
        .expect("transaction")
    }

    fn pkg() -> AccountAddress {
        PKG.parse().expect("package")
    }

    #[test]
    fn unknown_and_malformed_package_events_are_dead_lettered_not_dropped() {
        let t = txn(
            true,
            vec![
                ev(
                    &format!("{PKG}::escrow::Deposited"),
                    json!({"job_id": "1", "buyer": "0x2", "amount": "5", "total_deposited": "5"}),
                ),
                ev(&format!("{PKG}::escrow::Exploded"), json!({"job_id": "1"})),
                ev(
                    &format!("{PKG}::escrow::Released"),
                    json!({"job_id": 1, "provider": "0x3", "amount": "5", "total_released": "5"}),
                ),
                ev(
                    "0x1::coin::CoinWithdraw",
                    json!({"coin_type": "0x1::aptos_coin::AptosCoin", "account": "0x2", "amount": "5"}),
                ),
                ev("0x1::transaction_fee::FeeStatement", json!({})),
            ],
        );
        let d = transaction(4, &pkg(), &t).expect("decode");
        let ids: Vec<_> = d.events.iter().map(|e| e.id.as_str().to_owned()).collect();
        assert_eq!(
            ids,
            ["chain:42:0", "chain:42:3"],
            "the deposit and its coin movement"
        );
        assert_eq!(d.events[0].occurred_at_ms, 1_700_000_000_123);
        assert_eq!(d.dead_letters.len(), 2);
        assert!(
            d.dead_letters[0].reason.contains("unknown event"),
            "{}",
            d.dead_letters[0].reason
        );
        assert!(
            d.dead_letters[1].reason.contains("job_id"),
            "{}",
            d.dead_letters[1].reason
        );
        let record: Value = serde_json::from_slice(&d.dead_letters[1].to_json()).expect("json");
        assert_eq!(record["id"], "chain:42:2");
        assert_eq!(record["raw"]["data"]["job_id"], json!(1));
    }

    #[test]
    fn failed_transactions_emit_nothing() {
        let t = txn(
            false,
            vec![ev(&format!("{PKG}::escrow::Deposited"), json!({}))],
        );
        let d = transaction(4, &pkg(), &t).expect("decode");
        assert!(d.events.is_empty() && d.dead_letters.is_empty());
    }

    #[test]
    fn other_packages_and_coin_events_outside_escrow_are_ignored() {
        let t = txn(
            true,
            vec![
                ev("0xbeef::escrow::Deposited", json!({})),
                ev(
                    "0x1::coin::CoinDeposit",
                    json!({"coin_type": "0x1::aptos_coin::AptosCoin", "account": "0x2", "amount": "5"}),
                ),
            ],
        );
        let d = transaction(4, &pkg(), &t).expect("decode");
        assert!(d.events.is_empty() && d.dead_letters.is_empty());
    }

    /// A package whose address starts with a zero digit: the node prints `0xc5c5…` (63
    /// digits) in its type tags. Every form of the address is the package.
    #[test]
    fn a_package_with_a_leading_zero_is_recognised_in_every_form_the_node_may_print() {
        let long = "0x0c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c";
        let package: AccountAddress = long.parse().expect("package");
        let short = package.to_hex_literal();
        assert_eq!(short.len(), 65, "0x and 63 digits");
        let deposited = |addr: &str| {
            ev(
                &format!("{addr}::escrow::Deposited"),
                json!({"job_id": "1", "buyer": "0x2", "amount": "5", "total_deposited": "5"}),
            )
        };
        let upper = format!("0x{}", long[2..].to_uppercase());
        let t = txn(
            true,
            vec![
                deposited(&short),
                deposited(long),
                deposited(&upper),
                ev(
                    "0x0000000000000000000000000000000000000000000000000000000000000001::coin::CoinWithdraw",
                    json!({"coin_type": "0x1::aptos_coin::AptosCoin", "account": "0x2", "amount": "5"}),
                ),
            ],
        );
        let d = transaction(4, &package, &t).expect("decode");
        assert_eq!(d.events.len(), 4, "{:?}", d.dead_letters);
        assert!(d.dead_letters.is_empty());
    }

    #[test]
    fn an_event_whose_type_does_not_parse_is_dead_lettered_with_the_reason() {
        let t = txn(
            true,
            vec![
                ev("not a type", json!({})),
                ev(&format!("{PKG}::escrow::Deposited<u64>"), json!({})),
            ],
        );
        let d = transaction(4, &pkg(), &t).expect("decode");
        assert!(d.events.is_empty());
        let reasons: Vec<&str> = d.dead_letters.iter().map(|l| l.reason.as_str()).collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons[0].contains("not a Move struct type"), "{reasons:?}");
        assert!(reasons[1].contains("generic"), "{reasons:?}");
    }
}
