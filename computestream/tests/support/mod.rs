//! What the whole-pipeline tests share: the pipeline as separate `computestream` processes.

pub mod processes;
