//! One call at a time, to completion: for clients that send few transactions (the executor's
//! job status reports). Sequence number kept and re-learned on any doubt; the node's outages
//! retried with backoff; the transaction confirmed by reading it back.

use std::time::Duration;

use tokio::sync::Mutex;

use crate::{Account, ChainError, Committed, RestChain, TxnTerms};

const ATTEMPTS: u32 = 6;

#[derive(Debug)]
pub struct Caller {
    pub chain: RestChain,
    pub account: Account,
    pub max_gas_amount: u64,
    pub confirm_timeout: Duration,
    next_seq: Mutex<Option<u64>>,
}

impl Caller {
    pub fn new(chain: RestChain, account: Account, confirm_timeout: Duration) -> Self {
        Caller {
            chain,
            account,
            max_gas_amount: 200_000,
            confirm_timeout,
            next_seq: Mutex::new(None),
        }
    }

    async fn retry<T, F, Fut>(&self, mut call: F) -> Result<T, ChainError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, ChainError>>,
    {
        let mut delay = Duration::from_millis(200);
        for attempt in 1.. {
            match call().await {
                Err(e) if e.is_retryable() && attempt < ATTEMPTS => {
                    tracing::warn!(error = %e, attempt, "node call failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
                other => return other,
            }
        }
        unreachable!("the loop returns")
    }

    /// Signs, submits and waits for `package::module::function(args)`. A committed
    /// transaction that aborted is returned (with `success: false`), not an error.
    pub async fn call(
        &self,
        module: &str,
        function: &str,
        args: Vec<Vec<u8>>,
    ) -> Result<Committed, ChainError> {
        let mut seq_guard = self.next_seq.lock().await;
        let mut resynced = false;
        loop {
            let seq = match *seq_guard {
                Some(s) => s,
                None => {
                    self.retry(|| self.chain.sequence_number(self.account.address))
                        .await?
                }
            };
            let ledger = self.retry(|| self.chain.ledger()).await?;
            let price = self.retry(|| self.chain.gas_unit_price()).await?;
            let txn = self.account.sign_call(
                module,
                function,
                args.clone(),
                TxnTerms {
                    sequence_number: seq,
                    max_gas_amount: self.max_gas_amount,
                    gas_unit_price: price,
                    expiration_secs: ledger.timestamp_secs + self.confirm_timeout.as_secs().max(1),
                },
            )?;
            match self.retry(|| self.chain.submit(&txn)).await {
                Ok(()) => {}
                Err(e) if e.is_sequence_problem() && !resynced => {
                    *seq_guard = None;
                    resynced = true;
                    continue;
                }
                Err(e) => {
                    *seq_guard = None;
                    return Err(e);
                }
            }
            let hash = txn
                .hash()
                .map_err(|e| ChainError::Build(e.to_string()))?
                .to_hex();
            let deadline = tokio::time::Instant::now() + self.confirm_timeout;
            loop {
                match self.chain.committed(&hash).await {
                    Ok(Some(c)) => {
                        *seq_guard = Some(seq + 1);
                        return Ok(c);
                    }
                    Ok(None) => {}
                    Err(e) if e.is_retryable() => {}
                    Err(e) => {
                        *seq_guard = None;
                        return Err(e);
                    }
                }
                if tokio::time::Instant::now() >= deadline {
                    *seq_guard = None;
                    return Err(ChainError::Timeout(format!(
                        "{function} {hash} not committed within {:?}",
                        self.confirm_timeout
                    )));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}
