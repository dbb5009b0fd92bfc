//! The GraphQL schema: queries over the read models, subscriptions over the live feed,
//! chain-bound writes behind a signed-in session. Amounts are decimal strings of octas;
//! there is no `Float` anywhere (inputs or outputs).

mod args;
mod evidence;
mod loaders;
mod mutation;
mod query;
mod subscription;
mod types;

use async_graphql::dataloader::DataLoader;
use async_graphql::Schema;

use crate::services::Services;
pub use evidence::{EvidenceVerification, JobEvidence};
use loaders::{ProviderLoader, StreamLoader};
pub use mutation::{MutationRoot, Session, SignInChallenge, TransactionPayload};
pub use query::QueryRoot;
pub use subscription::SubscriptionRoot;
pub use types::*;

pub type GatewaySchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Builds the schema with the configured limits.
pub fn build(
    services: Services,
    production: bool,
    max_depth: usize,
    max_complexity: usize,
) -> GatewaySchema {
    let pool = services.pool.clone();
    let mut b = Schema::build(QueryRoot, MutationRoot, SubscriptionRoot)
        .data(DataLoader::new(ProviderLoader(pool.clone()), tokio::spawn))
        .data(DataLoader::new(StreamLoader(pool), tokio::spawn))
        .data(services)
        .limit_depth(max_depth)
        .limit_complexity(max_complexity);
    if production {
        b = b.disable_introspection();
    }
    b.finish()
}

/// The SDL of the schema (exported to `schemas/graphql/schema.graphql`).
pub fn sdl() -> String {
    Schema::build(QueryRoot, MutationRoot, SubscriptionRoot)
        .finish()
        .sdl()
}
