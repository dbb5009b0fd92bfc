//! Who a request comes from, for the per-client limits (request rate, sign-in nonces,
//! WebSocket connections per client): the TCP peer, or, when the peer is one of
//! `gateway.trusted_proxies` (an ingress or load balancer), the address that proxy saw,
//! from `X-Forwarded-For`. The header is read from its right end (what the nearest proxy
//! appended), skipping trusted proxies: a client cannot pick its own address by sending the
//! header itself, and behind an ingress clients are not all one address.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::StatusCode;
use ipnet::IpNet;

use crate::app_state::AppState;

/// The trusted proxies of `gateway.trusted_proxies`: addresses (`10.0.0.7`) or networks
/// (`10.0.0.0/8`).
///
/// Errors: the first entry that is neither, quoted.
pub fn parse_trusted(entries: &[String]) -> Result<Vec<IpNet>, String> {
    entries
        .iter()
        .map(|e| {
            let e = e.trim();
            e.parse::<IpNet>()
                .or_else(|_| e.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!("gateway.trusted_proxies entry {e:?} is not an address or network")
                })
        })
        .collect()
}

/// The client's address: `peer` itself unless it is trusted; then the right-most address of
/// `forwarded_for` that is not trusted (`peer` when there is none, or a part does not
/// parse: a proxy never writes a malformed header).
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let Some(header) = forwarded_for else {
        return peer;
    };
    for part in header.rsplit(',') {
        match part.trim().parse::<IpAddr>() {
            Ok(ip) if is_trusted(&ip) => continue,
            Ok(ip) => return ip,
            Err(_) => return peer,
        }
    }
    peer
}

/// The request's client address (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let ConnectInfo(peer) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .copied()
            .ok_or(StatusCode::INTERNAL_SERVER_ERROR)?;
        // Several headers are joined, in order, as one list.
        let joined: Vec<&str> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let header = (!joined.is_empty()).then(|| joined.join(","));
        Ok(ClientAddr(client_ip(
            peer.ip(),
            header.as_deref(),
            &st.trusted_proxies,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let trusted = parse_trusted(&["10.0.0.0/8".into(), "192.168.1.1".into()]).expect("parse");
        // Straight from the internet: the header is the client's own claim, ignored.
        assert_eq!(
            client_ip(ip("1.2.3.4"), Some("9.9.9.9"), &trusted),
            ip("1.2.3.4")
        );
        // Through the ingress: the address it appended, not the one the client sent first.
        assert_eq!(
            client_ip(ip("10.1.2.3"), Some("9.9.9.9, 5.6.7.8"), &trusted),
            ip("5.6.7.8")
        );
        // Through two proxies.
        assert_eq!(
            client_ip(ip("10.1.2.3"), Some("5.6.7.8, 192.168.1.1"), &trusted),
            ip("5.6.7.8")
        );
        // No header, only proxies, or a malformed part: the peer.
        assert_eq!(client_ip(ip("10.1.2.3"), None, &trusted), ip("10.1.2.3"));
        assert_eq!(
            client_ip(ip("10.1.2.3"), Some("10.9.9.9"), &trusted),
            ip("10.1.2.3")
        );
        assert_eq!(
            client_ip(ip("10.1.2.3"), Some("5.6.7.8, junk"), &trusted),
            ip("10.1.2.3")
        );
        assert!(parse_trusted(&["nope".into()]).is_err());
        assert_eq!(
            client_ip(ip("10.1.2.3"), Some("5.6.7.8"), &[]),
            ip("10.1.2.3")
        );
    }
}
