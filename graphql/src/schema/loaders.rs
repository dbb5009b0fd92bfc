//! DataLoaders: one query per batch of providers or streams a response needs (no N+1).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use async_graphql::ErrorExtensions;
use sqlx::PgPool;

use crate::read_models::{self, ProviderRow, StreamRow};
use crate::GatewayError;

#[derive(Debug)]
pub struct ProviderLoader(pub PgPool);
#[derive(Debug)]
pub struct StreamLoader(pub PgPool);

impl Loader<String> for ProviderLoader {
    type Value = ProviderRow;
    type Error = Arc<GatewayError>;
    async fn load(&self, keys: &[String]) -> Result<HashMap<String, ProviderRow>, Self::Error> {
        let rows = read_models::providers_by_address(&self.0, keys)
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|r| (r.address.clone(), r)).collect())
    }
}

impl Loader<i64> for StreamLoader {
    type Value = StreamRow;
    type Error = Arc<GatewayError>;
    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, StreamRow>, Self::Error> {
        let rows = read_models::streams_by_id(&self.0, keys)
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|r| (r.stream_id, r)).collect())
    }
}

pub(super) fn loader_err(e: Arc<GatewayError>) -> async_graphql::Error {
    e.extend()
}
