//! Scenario files (`move/scenarios/*.json`): inputs and expected events, aborts and balances
//! that BOTH the devnet (driven through `aptos-sdk` in `devnet/tests/scenarios.rs`) and the
//! Move unit tests (`move/tests/scenario_tests.move`, rendered from the same files by
//! [`render_move_tests`] and checked for drift) run, so the two cannot drift silently.
//!
//! Arguments, amounts and balances are JSON strings (never numbers), so the typed parts read
//! the same with or without `serde_json/arbitrary_precision`; expected event data is plain
//! JSON compared as the node prints it (u8 fields are numbers). Strings starting with `@` are
//! placeholders:
//! `@pkg` is the package address, `@pk:NAME` an account's ed25519 public key, `@NAME` an
//! account's address.

use std::collections::BTreeMap;

use computestream_domain::{
    ed25519_authentication_key, AccountAddress, Octas, SigningKey, Voucher,
};
use serde::Deserialize;
use serde_json::Value;

use crate::ChainIdentity;

mod move_tests;
pub use move_tests::render_move_tests;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// Accounts by name: a 32-byte seed (hex) and the octas they start with.
    pub accounts: BTreeMap<String, AccountSpec>,
    /// Keys that are not accounts (a browser's per-job voucher key), by name: a 32-byte
    /// seed (hex). Usable wherever a key is (`public_key`, a voucher's `signer`).
    #[serde(default)]
    pub keys: BTreeMap<String, String>,
    pub steps: Vec<Step>,
    /// Balances at the end, before transaction fees (the Move tests pay none; the devnet
    /// runner adds back what each account paid in fees).
    pub final_balances: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSpec {
    pub seed: String,
    pub fund: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Account name that signs, for a call.
    #[serde(default)]
    pub sender: Option<String>,
    /// `module::function` of the package, or `0x1::module::function`.
    #[serde(default)]
    pub call: Option<String>,
    #[serde(default)]
    pub args: Vec<Arg>,
    /// Move the clock forward by this many seconds instead of calling.
    #[serde(default)]
    pub advance_secs: Option<String>,
    #[serde(default)]
    pub expect: Expect,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Every event the call emits, in order (the fee statement excluded); required for a
    /// call that does not abort (the Move tests compare every package event).
    #[serde(default)]
    pub events: Option<Vec<ExpectedEvent>>,
    /// The call aborts (only the last step of a scenario may).
    #[serde(default)]
    pub abort: Option<ExpectedAbort>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedEvent {
    #[serde(rename = "type")]
    pub type_: String,
    pub data: Value,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedAbort {
    pub module: String,
    pub name: String,
    pub code: String,
}

/// One argument, by Move type.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Arg {
    U64(String),
    U8(String),
    Bool(bool),
    /// `@name`, `@pkg` or a literal address.
    Address(String),
    String(String),
    /// 0x-hex.
    Bytes(String),
    /// The ed25519 public key of an account.
    PublicKey(String),
    /// A voucher signature: `{signer, stream, amount}`.
    Voucher(VoucherArg),
    U64Vec(Vec<String>),
    BytesVec(Vec<Arg>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoucherArg {
    pub signer: String,
    pub stream: String,
    pub amount: String,
}

/// A scenario with its accounts' keys derived.
#[derive(Debug)]
pub struct Resolved<'a> {
    pub scenario: &'a Scenario,
    pub id: ChainIdentity,
    pub keys: BTreeMap<String, SigningKey>,
}

/// Errors in a scenario file.
#[derive(Debug, thiserror::Error)]
#[error("scenario {scenario}: {reason}")]
pub struct ScenarioError {
    pub scenario: String,
    pub reason: String,
}

impl Scenario {
    pub fn parse(json: &[u8]) -> Result<Scenario, ScenarioError> {
        let s: Scenario = serde_json::from_slice(json).map_err(|e| ScenarioError {
            scenario: "?".into(),
            reason: e.to_string(),
        })?;
        let fail = |reason: String| ScenarioError {
            scenario: s.name.clone(),
            reason,
        };
        if !s
            .name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(fail(
                "name must be snake_case (it names a Move test)".into(),
            ));
        }
        // The description becomes Move comments: the Move compiler takes printable ASCII only.
        if !s
            .description
            .bytes()
            .all(|b| (b' '..=b'~').contains(&b) || b == b'\n')
        {
            return Err(fail(
                "description must be printable ASCII (it becomes a Move comment)".into(),
            ));
        }
        for (i, step) in s.steps.iter().enumerate() {
            if step.expect.abort.is_some() && i + 1 != s.steps.len() {
                return Err(fail(format!("step {i}: only the last step may abort")));
            }
            if step.call.is_some() && step.expect.abort.is_none() && step.expect.events.is_none() {
                return Err(fail(format!(
                    "step {i}: a call that does not abort lists every event it emits"
                )));
            }
            if step.call.is_some() == step.advance_secs.is_some() {
                return Err(fail(format!(
                    "step {i}: exactly one of `call` and `advance_secs`"
                )));
            }
        }
        Ok(s)
    }

    pub fn aborts(&self) -> Option<&ExpectedAbort> {
        self.steps.last().and_then(|s| s.expect.abort.as_ref())
    }

    pub fn resolve(&self, id: ChainIdentity) -> Result<Resolved<'_>, ScenarioError> {
        let mut keys = BTreeMap::new();
        for (name, spec) in &self.accounts {
            let key = SigningKey::from_hex(&spec.seed)
                .map_err(|e| self.error(format!("account {name}: {e}")))?;
            keys.insert(name.clone(), key);
        }
        for (name, seed) in &self.keys {
            if self.accounts.contains_key(name) {
                return Err(self.error(format!("key {name} is also an account")));
            }
            let key =
                SigningKey::from_hex(seed).map_err(|e| self.error(format!("key {name}: {e}")))?;
            keys.insert(name.clone(), key);
        }
        Ok(Resolved {
            scenario: self,
            id,
            keys,
        })
    }

    fn error(&self, reason: String) -> ScenarioError {
        ScenarioError {
            scenario: self.name.clone(),
            reason,
        }
    }
}

fn u64_of(s: &str, what: &str) -> Result<u64, String> {
    s.parse().map_err(|_| format!("{what} {s:?} is not a u64"))
}

impl Resolved<'_> {
    fn err(&self, reason: String) -> ScenarioError {
        self.scenario.error(reason)
    }

    pub fn address(&self, name: &str) -> Result<AccountAddress, ScenarioError> {
        if name == "pkg" {
            return Ok(self.id.package);
        }
        self.keys
            .get(name)
            .map(|k| ed25519_authentication_key(&k.public_key()))
            .ok_or_else(|| self.err(format!("unknown account {name}")))
    }

    pub fn key(&self, name: &str) -> Result<&SigningKey, ScenarioError> {
        self.keys
            .get(name)
            .ok_or_else(|| self.err(format!("unknown account {name}")))
    }

    fn address_arg(&self, s: &str) -> Result<AccountAddress, ScenarioError> {
        match s.strip_prefix('@') {
            Some(name) => self.address(name),
            None => s.parse().map_err(|e| self.err(format!("{s}: {e}"))),
        }
    }

    fn voucher_sig(&self, v: &VoucherArg) -> Result<Vec<u8>, ScenarioError> {
        let voucher = Voucher {
            chain_id: self.id.chain_id,
            package: self.id.package,
            stream_id: u64_of(&v.stream, "stream").map_err(|e| self.err(e))?,
            cumulative_amount: Octas(u64_of(&v.amount, "amount").map_err(|e| self.err(e))?),
        };
        Ok(voucher.sign(self.key(&v.signer)?).signature.0.to_vec())
    }

    fn raw_bytes(&self, a: &Arg) -> Result<Vec<u8>, ScenarioError> {
        match a {
            Arg::Bytes(h) => hex::decode(h.trim_start_matches("0x"))
                .map_err(|e| self.err(format!("bytes {h}: {e}"))),
            Arg::PublicKey(name) => Ok(self.key(name)?.public_key().0.to_vec()),
            Arg::Voucher(v) => self.voucher_sig(v),
            other => Err(self.err(format!("{other:?} is not a byte vector"))),
        }
    }

    /// The BCS encoding of each argument, as a transaction carries it.
    pub fn bcs_args(&self, args: &[Arg]) -> Result<Vec<Vec<u8>>, ScenarioError> {
        use aptos_sdk::aptos_bcs::to_bytes;
        let bcs = |r: Result<Vec<u8>, aptos_sdk::aptos_bcs::Error>| {
            r.map_err(|e| self.err(e.to_string()))
        };
        args.iter()
            .map(|a| match a {
                Arg::U64(s) => bcs(to_bytes(&u64_of(s, "u64").map_err(|e| self.err(e))?)),
                Arg::U8(s) => bcs(to_bytes(
                    &s.parse::<u8>().map_err(|_| self.err(format!("u8 {s:?}")))?,
                )),
                Arg::Bool(b) => bcs(to_bytes(b)),
                Arg::Address(s) => bcs(to_bytes(&self.address_arg(s)?.0)),
                Arg::String(s) => bcs(to_bytes(s)),
                Arg::Bytes(_) | Arg::PublicKey(_) | Arg::Voucher(_) => {
                    bcs(to_bytes(&self.raw_bytes(a)?))
                }
                Arg::U64Vec(v) => {
                    let xs = v
                        .iter()
                        .map(|s| u64_of(s, "u64"))
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| self.err(e))?;
                    bcs(to_bytes(&xs))
                }
                Arg::BytesVec(v) => {
                    let xs = v
                        .iter()
                        .map(|a| self.raw_bytes(a))
                        .collect::<Result<Vec<_>, _>>()?;
                    bcs(to_bytes(&xs))
                }
            })
            .collect()
    }

    /// The `(module address, module, function)` of a step's call.
    pub fn target(&self, call: &str) -> Result<(AccountAddress, String, String), ScenarioError> {
        let parts: Vec<&str> = call.split("::").collect();
        match parts.as_slice() {
            [m, f] => Ok((self.id.package, (*m).to_owned(), (*f).to_owned())),
            [a, m, f] => Ok((self.address_arg(a)?, (*m).to_owned(), (*f).to_owned())),
            _ => Err(self.err(format!("call {call:?} is not module::function"))),
        }
    }

    /// Replaces `@…` placeholders in expected event JSON.
    pub fn substitute(&self, v: &Value) -> Result<Value, ScenarioError> {
        Ok(match v {
            Value::String(s) => Value::String(self.substitute_str(s)?),
            Value::Array(xs) => Value::Array(
                xs.iter()
                    .map(|x| self.substitute(x))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, x)| Ok((k.clone(), self.substitute(x)?)))
                    .collect::<Result<_, ScenarioError>>()?,
            ),
            other => other.clone(),
        })
    }

    fn substitute_str(&self, s: &str) -> Result<String, ScenarioError> {
        if let Some(rest) = s.strip_prefix("@pkg::") {
            return Ok(format!("{}::{rest}", self.id.package.to_hex_literal()));
        }
        if let Some(name) = s.strip_prefix("@pk:") {
            return Ok(format!("0x{}", hex::encode(self.key(name)?.public_key().0)));
        }
        match s.strip_prefix('@') {
            Some(name) => Ok(self.address(name)?.to_hex_literal()),
            None => Ok(s.to_owned()),
        }
    }
}
