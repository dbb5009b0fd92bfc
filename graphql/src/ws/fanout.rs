//! Shared subscriptions: every subscriber of the same operation (same document, operation
//! name, variables and extensions, same session) joins one execution, whose results are
//! serialised once and handed to all of them as shared bytes through one bounded broadcast
//! channel; each connection only wraps the bytes in a `next` frame with its own `id`. A
//! settlement burst of 700 streams watched 10 times each runs 700 executions, not 7,000.
//!
//! A subscriber that falls more than the channel's capacity behind gets an error and its
//! subscription ends (it never slows the others). The execution stops, and its live-feed
//! channel goes, with its last subscriber.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_graphql::Response;
use computestream_domain::AccountAddress;
use futures::stream::BoxStream;
use futures::StreamExt;
use tokio::sync::broadcast;

/// What a shared execution produced, serialised once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shared {
    /// An execution result (the `payload` of `next`).
    Next(Arc<str>),
    /// The operation was refused before producing a result: a list of GraphQL errors (the
    /// `payload` of `error`).
    Error(Arc<str>),
    /// The execution ended.
    Complete,
}

/// Which subscribers may share one execution: everything the result depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShareKey {
    pub query: String,
    pub operation_name: Option<String>,
    /// Variables and extensions as JSON text.
    pub variables: String,
    pub extensions: String,
    /// The session the operation runs as.
    pub caller: Option<AccountAddress>,
}

#[derive(Debug)]
struct Group {
    id: u64,
    tx: broadcast::Sender<Shared>,
    task: tokio::task::AbortHandle,
}

type Groups = Arc<Mutex<HashMap<Arc<ShareKey>, Group>>>;

/// The running shared executions of one gateway.
#[derive(Debug, Clone)]
pub struct Fanout {
    groups: Groups,
    capacity: usize,
    ids: Arc<AtomicU64>,
}

/// One subscriber's place in a shared execution; leaving (drop) stops the execution when
/// it was the last.
#[derive(Debug)]
pub struct Member {
    // Dropped before `_leave`, so the count `leave` reads no longer includes it.
    rx: broadcast::Receiver<Shared>,
    _leave: Leave,
}

#[derive(Debug)]
struct Leave {
    groups: Groups,
    key: Arc<ShareKey>,
    id: u64,
}

impl Drop for Leave {
    fn drop(&mut self) {
        let mut g = lock(&self.groups);
        let last = g
            .get(&self.key)
            .is_some_and(|grp| grp.id == self.id && grp.tx.receiver_count() == 0);
        if last {
            if let Some(grp) = g.remove(&self.key) {
                grp.task.abort();
            }
        }
    }
}

fn lock(g: &Groups) -> std::sync::MutexGuard<'_, HashMap<Arc<ShareKey>, Group>> {
    // The map holds only handles: a panic elsewhere cannot leave it inconsistent.
    g.lock().unwrap_or_else(|p| p.into_inner())
}

/// Serialises one result: a refusal (errors and no data) or a `next` payload.
fn serialise(r: &Response, first: bool) -> Shared {
    let refused = first && !r.errors.is_empty() && r.data == async_graphql::Value::Null;
    let text = if refused {
        serde_json::to_string(&r.errors)
    } else {
        serde_json::to_string(r)
    };
    match (text, refused) {
        (Ok(t), true) => Shared::Error(t.into()),
        (Ok(t), false) => Shared::Next(t.into()),
        (Err(_), _) => Shared::Error(
            r#"[{"message":"the result could not be serialised","extensions":{"code":"INTERNAL"}}]"#.into(),
        ),
    }
}

impl Fanout {
    /// `capacity`: results a subscriber may fall behind before it is dropped.
    pub fn new(capacity: usize) -> Self {
        Fanout {
            groups: Arc::new(Mutex::new(HashMap::new())),
            capacity: capacity.max(1),
            ids: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Joins the execution of `key`, starting it with `start` when there is none.
    pub fn join(
        &self,
        key: ShareKey,
        start: impl FnOnce() -> BoxStream<'static, Response>,
    ) -> Member {
        let key = Arc::new(key);
        let mut g = lock(&self.groups);
        if let Some(grp) = g.get(&key) {
            return Member {
                rx: grp.tx.subscribe(),
                _leave: Leave {
                    groups: self.groups.clone(),
                    key,
                    id: grp.id,
                },
            };
        }
        let id = self.ids.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = broadcast::channel(self.capacity);
        let mut results = start();
        let (groups, task_key, task_tx) = (self.groups.clone(), key.clone(), tx.clone());
        let task = tokio::spawn(async move {
            let mut first = true;
            while let Some(r) = results.next().await {
                let s = serialise(&r, first);
                first = false;
                let refused = matches!(s, Shared::Error(_));
                let _ = task_tx.send(s);
                if refused {
                    break;
                }
            }
            {
                let mut g = lock(&groups);
                if g.get(&task_key).is_some_and(|grp| grp.id == id) {
                    g.remove(&task_key);
                }
            }
            // Everyone who joined before the removal gets the end.
            let _ = task_tx.send(Shared::Complete);
        });
        g.insert(
            key.clone(),
            Group {
                id,
                tx,
                task: task.abort_handle(),
            },
        );
        metrics::counter!("computestream_gateway_shared_executions_total").increment(1);
        Member {
            rx,
            _leave: Leave {
                groups: self.groups.clone(),
                key,
                id,
            },
        }
    }

    /// Shared executions running.
    pub fn executions(&self) -> usize {
        lock(&self.groups).len()
    }
}

impl Member {
    /// The member's results, ending after `Error` or `Complete`; falling behind ends it
    /// with an error (`SUBSCRIBER_LAGGED`).
    pub fn into_stream(self) -> BoxStream<'static, Shared> {
        futures::stream::unfold(Some(self), |m| async move {
            let mut m = m?;
            match m.rx.recv().await {
                Ok(Shared::Next(p)) => Some((Shared::Next(p), Some(m))),
                Ok(end) => Some((end, None)),
                Err(broadcast::error::RecvError::Closed) => Some((Shared::Complete, None)),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    metrics::counter!("computestream_gateway_subscriber_lagged_total")
                        .increment(1);
                    let e = serde_json::json!([{
                        "message": format!("this subscriber fell {n} results behind and was dropped; subscribe again"),
                        "extensions": {"code": "SUBSCRIBER_LAGGED"}
                    }]);
                    Some((Shared::Error(e.to_string().into()), None))
                }
            }
        })
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(q: &str) -> ShareKey {
        ShareKey {
            query: q.into(),
            operation_name: None,
            variables: "{}".into(),
            extensions: "{}".into(),
            caller: None,
        }
    }

    fn result(n: i32) -> Response {
        Response::new(async_graphql::Value::from_json(serde_json::json!({"n": n})).expect("value"))
    }

    #[tokio::test]
    async fn same_operation_one_execution_shared_bytes_and_it_stops_with_the_last() {
        let f = Fanout::new(8);
        let (tx, rx) = tokio::sync::mpsc::channel::<Response>(8);
        let starts = Arc::new(AtomicU64::new(0));
        let s = starts.clone();
        let a = f.join(key("q"), move || {
            s.fetch_add(1, Ordering::Relaxed);
            tokio_stream::wrappers::ReceiverStream::new(rx).boxed()
        });
        let b = f.join(key("q"), || {
            panic!("a second execution of the same operation")
        });
        let other = f.join(key("other"), || futures::stream::pending().boxed());
        assert_eq!(f.executions(), 2);
        let (mut a, mut b) = (a.into_stream(), b.into_stream());
        tx.send(result(1)).await.expect("send");
        let (x, y) = (a.next().await, b.next().await);
        let (Some(Shared::Next(x)), Some(Shared::Next(y))) = (x, y) else {
            panic!("next expected")
        };
        assert!(Arc::ptr_eq(&x, &y), "one serialisation, shared");
        assert_eq!(&*x, r#"{"data":{"n":1}}"#);
        drop(a);
        assert_eq!(f.executions(), 2);
        drop(b);
        assert_eq!(f.executions(), 1, "the last subscriber stopped it");
        drop(other);
        assert_eq!(f.executions(), 0);
        assert_eq!(starts.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn a_refused_operation_is_an_error_and_a_slow_subscriber_is_dropped_alone() {
        let f = Fanout::new(2);
        let refused = f.join(key("bad"), || {
            futures::stream::iter([Response::from_errors(vec![
                async_graphql::ServerError::new("no", None),
            ])])
            .boxed()
        });
        let mut r = refused.into_stream();
        assert!(matches!(r.next().await, Some(Shared::Error(_))));
        assert!(r.next().await.is_none());

        let (tx, rx) = tokio::sync::mpsc::channel::<Response>(16);
        let slow = f.join(key("q"), move || {
            tokio_stream::wrappers::ReceiverStream::new(rx).boxed()
        });
        let fast = f.join(key("q"), || panic!("shared"));
        let (mut slow, mut fast) = (slow.into_stream(), fast.into_stream());
        for n in 0..4 {
            tx.send(result(n)).await.expect("send");
            assert!(matches!(fast.next().await, Some(Shared::Next(_))));
        }
        let Some(Shared::Error(e)) = slow.next().await else {
            panic!("the slow one is dropped")
        };
        assert!(e.contains("SUBSCRIBER_LAGGED"));
        assert!(slow.next().await.is_none());
        tx.send(result(9)).await.expect("send");
        assert!(matches!(fast.next().await, Some(Shared::Next(_))));
        drop(tx);
        assert_eq!(fast.next().await, Some(Shared::Complete));
    }
}
