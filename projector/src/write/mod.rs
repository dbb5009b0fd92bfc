//! One writer per aggregate: each turns its part of a [`crate::plan::Plan`] into set-based
//! statements (`UNNEST` arrays, not row by row) inside the batch's transaction.

pub mod escrows;
pub mod jobs;
pub mod metering;
pub mod providers;
pub mod settlements;
pub mod streams;
