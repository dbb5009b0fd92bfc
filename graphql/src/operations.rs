//! Running a GraphQL operation under the limits, for HTTP and WebSocket alike: the
//! persisted-query allowlist (production), the document limits checked on the syntax tree
//! before anything runs ([`crate::document_limits`]), the engine's validation with its
//! depth and complexity (lists and database reads charged by the schema), an execution
//! timeout, and a `code` on every error. Introspection-only documents run against a copy
//! of the schema allowed to nest deeper, where introspection is enabled.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::parser::types::OperationType;
use async_graphql::{Request, Response, ServerError};
use futures::stream::BoxStream;
use futures::StreamExt;

use crate::document_limits::{Checked, DocumentLimits};
use crate::limits::document_hash;
use crate::schema::GatewaySchema;

/// A request that passed the checks, with its parsed document attached.
#[derive(Debug)]
pub struct Prepared {
    pub request: Request,
    pub checked: Checked,
}

impl Prepared {
    pub fn is_subscription(&self) -> bool {
        self.checked.operation == OperationType::Subscription
    }
}

/// The schema and the limits every operation runs under.
#[derive(Clone)]
pub struct Operations {
    schema: GatewaySchema,
    /// `None` in production (no introspection).
    introspection: Option<GatewaySchema>,
    limits: DocumentLimits,
    timeout: Duration,
    allowlist: Arc<HashSet<String>>,
}

fn coded(message: impl Into<String>, code: &str) -> ServerError {
    let mut e = ServerError::new(message, None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", code);
    e.extensions = Some(ext);
    e
}

/// Every error carries a `code`: the resolvers' own, or one for what the engine refused
/// before running anything (Apollo's names).
pub fn with_codes(resp: &mut Response) {
    let refused_before_running = resp.data == async_graphql::Value::Null;
    for e in &mut resp.errors {
        let has_code = e
            .extensions
            .as_ref()
            .is_some_and(|x| x.get("code").is_some());
        if has_code {
            continue;
        }
        let code = if e.message.trim_start().starts_with("-->") || e.message.contains("parse") {
            "GRAPHQL_PARSE_FAILED"
        } else if refused_before_running {
            "GRAPHQL_VALIDATION_FAILED"
        } else {
            "INTERNAL"
        };
        e.extensions
            .get_or_insert_with(Default::default)
            .set("code", code);
    }
}

impl std::fmt::Debug for Operations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operations")
            .field("limits", &self.limits)
            .field("timeout", &self.timeout)
            .field("introspection", &self.introspection.is_some())
            .finish_non_exhaustive()
    }
}

impl Operations {
    pub fn new(
        schema: GatewaySchema,
        introspection: Option<GatewaySchema>,
        limits: DocumentLimits,
        timeout: Duration,
        allowlist: Arc<HashSet<String>>,
    ) -> Self {
        Operations {
            schema,
            introspection,
            limits,
            timeout,
            allowlist,
        }
    }

    /// Checks a request before any work: the allowlist, the parse, the document limits.
    pub fn prepare(&self, mut request: Request) -> Result<Prepared, Vec<ServerError>> {
        if !self.allowlist.is_empty() && !self.allowlist.contains(&document_hash(&request.query)) {
            return Err(vec![coded(
                "this document is not in the persisted-query allowlist",
                "PERSISTED_QUERY_NOT_ALLOWED",
            )]);
        }
        let doc = async_graphql::parser::parse_query(&request.query)
            .map_err(|e| vec![coded(e.to_string(), "GRAPHQL_PARSE_FAILED")])?;
        let mut checked = self
            .limits
            .check(
                &doc,
                request.operation_name.as_deref(),
                self.introspection.is_some(),
            )
            .map_err(|e| {
                metrics::counter!("computestream_gateway_documents_refused_total").increment(1);
                vec![e]
            })?;
        checked.introspection &= self.introspection.is_some();
        request.set_parsed_query(doc);
        Ok(Prepared { request, checked })
    }

    fn schema_for(&self, p: &Prepared) -> &GatewaySchema {
        match &self.introspection {
            Some(s) if p.checked.introspection => s,
            _ => &self.schema,
        }
    }

    /// Runs a query or mutation, within the execution timeout.
    pub async fn execute(&self, p: Prepared) -> Response {
        let schema = self.schema_for(&p).clone();
        let mut resp = match tokio::time::timeout(self.timeout, schema.execute(p.request)).await {
            Ok(r) => r,
            Err(_) => {
                metrics::counter!("computestream_gateway_timeouts_total").increment(1);
                Response::from_errors(vec![coded(
                    format!(
                        "the operation ran longer than {} ms and was stopped",
                        self.timeout.as_millis()
                    ),
                    "TIMEOUT",
                )])
            }
        };
        with_codes(&mut resp);
        resp
    }

    /// Runs any operation as a stream of results (a subscription's, or one result).
    pub fn execute_stream(&self, p: Prepared) -> BoxStream<'static, Response> {
        if !p.is_subscription() {
            let ops = self.clone();
            return futures::stream::once(async move { ops.execute(p).await }).boxed();
        }
        self.schema_for(&p)
            .execute_stream(p.request)
            .map(|mut r| {
                with_codes(&mut r);
                r
            })
            .boxed()
    }
}
