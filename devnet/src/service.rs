//! `run(config, shutdown)`: the devnet as a service.

use std::net::SocketAddr;
use std::sync::Arc;

use computestream_runtime::http_listener::{self, HttpLimits};
use computestream_runtime::Shutdown;

use crate::config::{ChainIdentity, DevnetConfig};
use crate::devnet::Devnet;
use crate::{server, DevnetError};

/// A started devnet: its address and the task serving it.
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    pub devnet: Arc<Devnet>,
    pub id: ChainIdentity,
    pub task: tokio::task::JoinHandle<Result<(), DevnetError>>,
}

impl Running {
    pub fn identity(&self) -> ChainIdentity {
        self.id
    }

    /// The node REST base URL, e.g. `http://127.0.0.1:8070/v1`.
    pub fn rest_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Submits signed transactions (BCS) in process, waiting whenever a sender is too far
    /// ahead of its committed sequence number, then waits until all of them committed.
    /// For workloads (demo, tests, benchmarks); services submit over REST.
    pub async fn submit_all(&self, txns: Vec<Vec<u8>>) -> Result<(), String> {
        let node_err = |e: DevnetError| e.to_string();
        let target = self.devnet.node().map_err(node_err)?.committed_counts().0 + txns.len() as u64;
        for b in &txns {
            loop {
                match self.devnet.submit(b) {
                    Ok(_) => break,
                    Err(crate::SubmitError::Rejected(r))
                        if r.body.vm_error_code == Some(SEQUENCE_NUMBER_TOO_NEW) =>
                    {
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await
                    }
                    Err(e) => return Err(format!("transaction refused: {e:?}")),
                }
            }
        }
        while self.devnet.node().map_err(node_err)?.committed_counts().0 < target {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Ok(())
    }
}

/// Aptos `StatusCode::SEQUENCE_NUMBER_TOO_NEW`: the sender is too far ahead.
const SEQUENCE_NUMBER_TOO_NEW: u64 = 4;

/// Opens the devnet (replaying its journal), binds, and serves until `shutdown`.
pub async fn start(
    id: ChainIdentity,
    config: DevnetConfig,
    shutdown: Shutdown,
) -> Result<Running, DevnetError> {
    let (listen, limits) = (config.listen, config.http);
    serve(
        id,
        Arc::new(Devnet::open(id, config)?),
        listen,
        limits,
        shutdown,
    )
    .await
}

/// Serves an already opened devnet (e.g. [`Devnet::from_node`]) until `shutdown`.
pub async fn serve(
    id: ChainIdentity,
    devnet: Arc<Devnet>,
    listen: SocketAddr,
    limits: HttpLimits,
    shutdown: Shutdown,
) -> Result<Running, DevnetError> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| DevnetError::Bind {
            addr: listen.to_string(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| DevnetError::Bind {
        addr: listen.to_string(),
        source,
    })?;
    let app = limits.apply(server::router(devnet.clone()));
    let producer = devnet.clone();
    let stop = shutdown.clone();
    let task = tokio::spawn(async move {
        let serve = http_listener::serve(listener, app, limits.listener(), "devnet", stop);
        let ((), produced) = tokio::join!(serve, producer.produce_blocks(shutdown));
        produced
    });
    tracing::info!(%addr, "devnet serving the node REST API");
    Ok(Running {
        addr,
        devnet,
        id,
        task,
    })
}
