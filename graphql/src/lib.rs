//! The GraphQL gateway: what frontends use.
//!
//! This crate owns:
//! - the GraphQL schema ([`schema`]): queries over the read models (with DataLoaders),
//!   subscriptions over the [`live`] feed (one log consumer per gateway, fanned out to its
//!   subscribers), writes that build unsigned transaction payloads or submit signed ones
//!   behind a Sign-in-with-Aptos session ([`auth`]);
//! - the seed's REST API under `/api/v1` (`rest`), its OpenAPI document generated from the
//!   handlers and served at `/api/v1/openapi.json`, exported to
//!   `schemas/openapi/rest-v1.json` ([`openapi_json`]);
//! - the verdict on a job's evidence from the log ([`evidence_check`], docs/DISPUTES.md);
//! - protection: depth and complexity limits, body size and per-client rate limits, CORS,
//!   no introspection and an optional persisted-query allowlist in production;
//! - the dashboard (`/`, one static page, no build step);
//! - the SDL, exported to `schemas/graphql/schema.graphql` ([`schema::sdl`]).

mod app_state;
pub mod auth;
pub mod client_addr;
mod config;
mod connection_caps;
pub mod document_limits;
mod error;
pub mod evidence_check;
pub mod expiring_map;
pub mod limits;
pub mod live;
pub mod operations;
pub mod payloads;
pub mod read_models;
mod rest;
pub mod schema;
mod service;
mod services;
mod submit;
pub mod web_app;
pub mod ws;

pub use config::GatewayConfig;
pub use error::{GatewayError, Gql};
pub use rest::{document as openapi_document, document_json as openapi_json};
pub use service::{app, Gateway, RunningGateway};
pub use services::Services;
