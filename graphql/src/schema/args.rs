//! Parsing and bounding resolver arguments: ids, addresses, octas, page sizes; every
//! refusal is a `BAD_USER_INPUT` error naming the argument.

use async_graphql::ErrorExtensions;
use async_graphql::{Context, ID};
use computestream_domain::{AccountAddress, Octas};

use crate::services::Services;
use crate::GatewayError;

pub(super) fn services<'a>(ctx: &Context<'a>) -> &'a Services {
    ctx.data_unchecked::<Services>()
}

pub(super) fn bad(msg: impl Into<String>) -> async_graphql::Error {
    GatewayError::BadInput(msg.into()).extend()
}

pub(super) fn parse_id(id: &ID) -> async_graphql::Result<i64> {
    id.parse::<u64>()
        .ok()
        .and_then(|v| i64::try_from(v).ok())
        .ok_or_else(|| bad(format!("{:?} is not a job id", id.as_str())))
}

pub(super) fn parse_address(s: &str) -> async_graphql::Result<AccountAddress> {
    s.parse()
        .map_err(|_| bad(format!("{s:?} is not an account address")))
}

pub(super) fn parse_octas(s: &str, what: &str) -> async_graphql::Result<Octas> {
    s.parse()
        .map_err(|_| bad(format!("{what} must be a decimal string of octas")))
}

pub(super) fn clamp_first(first: Option<i32>) -> async_graphql::Result<i64> {
    match first.unwrap_or(20) {
        n @ 1..=100 => Ok(i64::from(n)),
        n => Err(bad(format!("first must be within 1..=100, got {n}"))),
    }
}
