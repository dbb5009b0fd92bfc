//! What the whole-pipeline tests share: the pipeline as separate `computestream` processes,
//! and the infrastructure under it that a test can take down.

#![allow(dead_code)] // each test binary uses its own part

pub mod infra;
pub mod processes;
