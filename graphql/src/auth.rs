//! Sign-in with an Aptos/Movement account: the server hands out a one-time nonce, the client
//! signs a message naming its address and the nonce with its account's ed25519 key, and the
//! server checks the signature and that the key's authentication key is the address. The
//! session it returns is bound to that address: writes (and private data) are allowed for
//! that address only. Both tables are bounded and expiring; nonces are rate-limited per
//! client address.

use std::net::IpAddr;
use std::sync::Mutex;

use computestream_domain::{ed25519_authentication_key, AccountAddress, PublicKey, Signature};
use computestream_runtime::now_ms;

use crate::expiring_map::ExpiringMap;
use crate::limits::RateLimiter;
use crate::GatewayError;

const NONCE_TTL_MS: u64 = 5 * 60 * 1000;

/// The exact message a client signs.
pub fn sign_in_message(address: &AccountAddress, nonce: &str) -> String {
    format!(
        "computestream sign-in\naddress: {}\nnonce: {nonce}",
        address.to_long_string()
    )
}

/// Whether `full` is what an AIP-62 wallet's `signMessage({message, nonce})` signs for this
/// sign-in: `APTOS\n`, then optionally `address: …`, `application: …`, `chainId: …` lines (an
/// address line must name `address`), then `message: {message}\nnonce: {nonce}` and nothing
/// after (the wallet standard's `fullMessage`, aptos-labs/wallet-standard `AptosSignMessageOutput`).
pub fn is_wallet_sign_in(full: &str, address: &AccountAddress, nonce: &str) -> bool {
    let Some(rest) = full.strip_prefix("APTOS\n") else {
        return false;
    };
    let tail = format!(
        "message: {}\nnonce: {nonce}",
        sign_in_message(address, nonce)
    );
    let Some(head) = rest.strip_suffix(tail.as_str()) else {
        return false;
    };
    head.split_terminator('\n').all(|line| {
        if let Some(a) = line.strip_prefix("address: ") {
            a.parse::<AccountAddress>().is_ok_and(|a| a == *address)
        } else {
            line.starts_with("application: ") || line.starts_with("chainId: ")
        }
    })
}

/// Bounds of the sign-in tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// Seconds a session lasts.
    pub session_secs: u64,
    /// Sessions held at most (the oldest is signed out past it).
    pub max_sessions: usize,
    /// Unused nonces held at most (the oldest is forgotten past it).
    pub max_nonces: usize,
    /// Nonces one client address may ask for per minute (HTTP and WebSocket alike).
    pub nonces_per_minute: u32,
}

/// Nonces and sessions: bounded, expiring tables with O(1) insertion.
#[derive(Debug)]
pub struct Sessions {
    nonces: Mutex<ExpiringMap<String, AccountAddress>>,
    sessions: Mutex<ExpiringMap<String, AccountAddress>>,
    nonce_rate: RateLimiter,
}

fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Tables of tokens only: a panic elsewhere cannot leave them inconsistent.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Sessions {
    pub fn new(l: SessionLimits) -> Self {
        Sessions {
            nonces: Mutex::new(ExpiringMap::new(l.max_nonces, NONCE_TTL_MS)),
            sessions: Mutex::new(ExpiringMap::new(
                l.max_sessions,
                l.session_secs.saturating_mul(1000),
            )),
            nonce_rate: RateLimiter::new(l.nonces_per_minute),
        }
    }

    /// A one-time nonce for `address`, valid five minutes; `client`'s nonces per minute are
    /// limited (`RATE_LIMITED` past it).
    pub fn nonce(
        &self,
        address: AccountAddress,
        client: Option<IpAddr>,
    ) -> Result<String, GatewayError> {
        if let Some(ip) = client {
            if !self.nonce_rate.allow(ip) {
                metrics::counter!("computestream_gateway_rate_limited_total", "what" => "nonce")
                    .increment(1);
                return Err(GatewayError::RateLimited(
                    "too many sign-in nonces from this client; wait a minute".into(),
                ));
            }
        }
        let n = random_token();
        lock(&self.nonces).insert(n.clone(), address, now_ms());
        Ok(n)
    }

    /// Checks a signed nonce and opens a session: (token, expiry ms). The signature is over
    /// [`sign_in_message`] itself, or over a wallet's `full_message` that wraps it
    /// ([`is_wallet_sign_in`]).
    pub fn sign_in(
        &self,
        address: AccountAddress,
        public_key: &str,
        nonce: &str,
        signature: &str,
        full_message: Option<&str>,
    ) -> Result<(String, u64), GatewayError> {
        let pk: PublicKey = public_key
            .parse()
            .map_err(|_| GatewayError::BadInput("publicKey must be 32 bytes of hex".into()))?;
        let sig: Signature = signature
            .parse()
            .map_err(|_| GatewayError::BadInput("signature must be 64 bytes of hex".into()))?;
        let now = now_ms();
        let issued = lock(&self.nonces).remove(&nonce.to_owned(), now);
        if issued != Some(address) {
            return Err(GatewayError::Forbidden("unknown or expired nonce".into()));
        }
        if ed25519_authentication_key(&pk) != address {
            return Err(GatewayError::Forbidden(
                "the key is not this address's".into(),
            ));
        }
        let signed =
            match full_message {
                None => sign_in_message(&address, nonce),
                Some(f) if is_wallet_sign_in(f, &address, nonce) => f.to_owned(),
                Some(_) => return Err(GatewayError::BadInput(
                    "fullMessage is not a wallet's signMessage of this sign-in's message and nonce"
                        .into(),
                )),
            };
        if !pk.verify_strict(signed.as_bytes(), &sig) {
            return Err(GatewayError::Forbidden(
                "the signature does not verify".into(),
            ));
        }
        let token = random_token();
        let expires = lock(&self.sessions).insert(token.clone(), address, now);
        Ok((token, expires))
    }

    /// The address a bearer token is signed in as.
    pub fn who(&self, token: &str) -> Option<AccountAddress> {
        lock(&self.sessions)
            .get(&token.to_owned(), now_ms())
            .map(|(a, _)| *a)
    }
}

/// What is public and what needs a session (issue 24 item 7). Chain facts are public:
/// providers, jobs, escrows, a stream's rate, escrow, settlements (paid on chain), refunds
/// and status, marketplace statistics, a provider's aggregate earnings. A job's off-chain
/// records are private to its buyer and its provider: the metering records (attested
/// seconds, the per-second series, the accrual computed from them) and the buyer's
/// vouchers (the vouchered amount), over GraphQL, the REST API and subscriptions alike.
///
/// `Ok` when `caller` is the buyer or the provider (addresses compared as addresses);
/// `UNAUTHENTICATED` without a session, `FORBIDDEN` for anyone else.
pub fn party_of_job(
    caller: Option<AccountAddress>,
    buyer: &str,
    provider: &str,
) -> Result<AccountAddress, GatewayError> {
    let who = caller.ok_or(GatewayError::Unauthenticated)?;
    let is = |s: &str| s.parse::<AccountAddress>().is_ok_and(|a| a == who);
    if is(buyer) || is(provider) {
        Ok(who)
    } else {
        Err(GatewayError::Forbidden(
            "a job's off-chain records are its buyer's and provider's only".into(),
        ))
    }
}

/// The session of a request, if any (from `Authorization: Bearer <token>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedIn(pub Option<AccountAddress>);

impl SignedIn {
    pub fn require(&self) -> Result<AccountAddress, GatewayError> {
        self.0.ok_or(GatewayError::Unauthenticated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use computestream_domain::SigningKey;

    const LIMITS: SessionLimits = SessionLimits {
        session_secs: 60,
        max_sessions: 100,
        max_nonces: 100,
        nonces_per_minute: 5,
    };

    #[test]
    fn nonces_are_bounded_and_rate_limited_per_client() {
        let s = Sessions::new(LIMITS);
        let a = AccountAddress::new([7; 32]);
        let ip: IpAddr = "127.0.0.9".parse().expect("ip");
        for _ in 0..5 {
            s.nonce(a, Some(ip)).expect("within the limit");
        }
        assert!(matches!(
            s.nonce(a, Some(ip)),
            Err(GatewayError::RateLimited(_))
        ));
        // Issue 24 item 3: 49,900 nonces (no client limit here) keep the table at its cap.
        let first = s.nonce(a, None).expect("nonce");
        for _ in 0..49_900 {
            s.nonce(a, None).expect("nonce");
        }
        assert_eq!(lock(&s.nonces).len(), 100);
        assert!(
            lock(&s.nonces).get(&first, now_ms()).is_none(),
            "the oldest went"
        );
    }

    #[test]
    fn a_signed_nonce_opens_a_session_once() {
        let key = SigningKey::from_seed([4; 32]);
        let address = ed25519_authentication_key(&key.public_key());
        let s = Sessions::new(LIMITS);
        let n = s.nonce(address, None).expect("nonce");
        let sig = key.sign(sign_in_message(&address, &n).as_bytes());
        let pk = key.public_key().to_string();
        let (token, _) = s
            .sign_in(address, &pk, &n, &sig.to_string(), None)
            .expect("signed in");
        assert_eq!(s.who(&token), Some(address));
        assert!(
            s.sign_in(address, &pk, &n, &sig.to_string(), None).is_err(),
            "nonce used"
        );
        let n2 = s.nonce(address, None).expect("nonce");
        let other = SigningKey::from_seed([5; 32]);
        let bad = other.sign(sign_in_message(&address, &n2).as_bytes());
        assert!(s
            .sign_in(
                address,
                &other.public_key().to_string(),
                &n2,
                &bad.to_string(),
                None
            )
            .is_err());
        assert_eq!(s.who("nope"), None);
    }

    #[test]
    fn a_wallets_full_message_signs_in_and_nothing_else_does() {
        let key = SigningKey::from_seed([6; 32]);
        let address = ed25519_authentication_key(&key.public_key());
        let s = Sessions::new(LIMITS);
        let pk = key.public_key().to_string();
        let n = s.nonce(address, None).expect("nonce");
        let message = sign_in_message(&address, &n);
        // What AIP-62 wallets sign for signMessage({message, nonce, address: true}).
        let full = format!(
            "APTOS\naddress: {}\napplication: https://app.example\nchainId: 4\nmessage: {message}\nnonce: {n}",
            address.to_hex_literal()
        );
        assert!(is_wallet_sign_in(&full, &address, &n));
        let sig = key.sign(full.as_bytes());
        let (token, _) = s
            .sign_in(address, &pk, &n, &sig.to_string(), Some(&full))
            .expect("signed in");
        assert_eq!(s.who(&token), Some(address));

        let other = ed25519_authentication_key(&SigningKey::from_seed([7; 32]).public_key());
        for bad in [
            format!("message: {message}\nnonce: {n}"),
            format!("APTOS\nmessage: {message}\nnonce: {n}\nextra"),
            format!("APTOS\nmessage: {message}\nnonce: other"),
            format!(
                "APTOS\naddress: {}\nmessage: {message}\nnonce: {n}",
                other.to_long_string()
            ),
            format!("APTOS\nsomething: else\nmessage: {message}\nnonce: {n}"),
        ] {
            assert!(!is_wallet_sign_in(&bad, &address, &n), "{bad:?}");
        }
        let n2 = s.nonce(address, None).expect("nonce");
        let wrapped = format!(
            "APTOS\nmessage: {}\nnonce: {n2}",
            sign_in_message(&address, &n2)
        );
        let sig2 = key.sign(wrapped.as_bytes());
        let forged = format!(
            "APTOS\nchainId: 9\nmessage: {}\nnonce: {n2}",
            sign_in_message(&address, &n2)
        );
        assert!(
            s.sign_in(address, &pk, &n2, &sig2.to_string(), Some(&forged))
                .is_err(),
            "the signature must be over the full message given"
        );
    }
}
