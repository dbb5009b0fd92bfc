//! The `computestream` binary's library half: the one configuration every subcommand (and
//! `computestream-bench`) reads, the file plus `COMPUTESTREAM_*` variables, validated at start.

pub mod config;
