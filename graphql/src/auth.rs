//! Sign-in with an Aptos/Movement account: the server hands out a one-time nonce, the client
//! signs a message naming its address and the nonce with its account's ed25519 key, and the
//! server checks the signature and that the key's authentication key is the address. The
//! session it returns is bound to that address: writes (and private data) are allowed for
//! that address only.

use std::collections::HashMap;
use std::sync::Mutex;

use computestream_domain::{ed25519_authentication_key, AccountAddress, PublicKey, Signature};
use computestream_runtime::now_ms;

use crate::GatewayError;

const NONCE_TTL_MS: u64 = 5 * 60 * 1000;

/// The exact message a client signs.
pub fn sign_in_message(address: &AccountAddress, nonce: &str) -> String {
    format!(
        "computestream sign-in\naddress: {}\nnonce: {nonce}",
        address.to_long_string()
    )
}

#[derive(Debug, Default)]
pub struct Sessions {
    nonces: Mutex<HashMap<String, (AccountAddress, u64)>>,
    sessions: Mutex<HashMap<String, (AccountAddress, u64)>>,
    ttl_ms: u64,
}

fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

impl Sessions {
    pub fn new(session_secs: u64) -> Self {
        Sessions {
            ttl_ms: session_secs * 1000,
            ..Sessions::default()
        }
    }

    pub fn nonce(&self, address: AccountAddress) -> String {
        let n = random_token();
        let now = now_ms();
        let mut m = self.nonces.lock().unwrap_or_else(|p| p.into_inner());
        m.retain(|_, (_, exp)| *exp > now);
        m.insert(n.clone(), (address, now + NONCE_TTL_MS));
        n
    }

    /// Checks a signed nonce and opens a session: (token, expiry ms).
    pub fn sign_in(
        &self,
        address: AccountAddress,
        public_key: &str,
        nonce: &str,
        signature: &str,
    ) -> Result<(String, u64), GatewayError> {
        let pk: PublicKey = public_key
            .parse()
            .map_err(|_| GatewayError::BadInput("publicKey must be 32 bytes of hex".into()))?;
        let sig: Signature = signature
            .parse()
            .map_err(|_| GatewayError::BadInput("signature must be 64 bytes of hex".into()))?;
        let now = now_ms();
        let issued = self
            .nonces
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(nonce);
        match issued {
            Some((a, exp)) if a == address && exp > now => {}
            _ => return Err(GatewayError::Forbidden("unknown or expired nonce".into())),
        }
        if ed25519_authentication_key(&pk) != address {
            return Err(GatewayError::Forbidden(
                "the key is not this address's".into(),
            ));
        }
        if !pk.verify_strict(sign_in_message(&address, nonce).as_bytes(), &sig) {
            return Err(GatewayError::Forbidden(
                "the signature does not verify".into(),
            ));
        }
        let token = random_token();
        let expires = now + self.ttl_ms;
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(token.clone(), (address, expires));
        Ok((token, expires))
    }

    /// The address a bearer token is signed in as.
    pub fn who(&self, token: &str) -> Option<AccountAddress> {
        let now = now_ms();
        let mut m = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        match m.get(token) {
            Some((a, exp)) if *exp > now => Some(*a),
            Some(_) => {
                m.remove(token);
                None
            }
            None => None,
        }
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

    #[test]
    fn a_signed_nonce_opens_a_session_once() {
        let key = SigningKey::from_seed([4; 32]);
        let address = ed25519_authentication_key(&key.public_key());
        let s = Sessions::new(60);
        let n = s.nonce(address);
        let sig = key.sign(sign_in_message(&address, &n).as_bytes());
        let pk = key.public_key().to_string();
        let (token, _) = s
            .sign_in(address, &pk, &n, &sig.to_string())
            .expect("signed in");
        assert_eq!(s.who(&token), Some(address));
        assert!(
            s.sign_in(address, &pk, &n, &sig.to_string()).is_err(),
            "nonce used"
        );
        let n2 = s.nonce(address);
        let other = SigningKey::from_seed([5; 32]);
        let bad = other.sign(sign_in_message(&address, &n2).as_bytes());
        assert!(s
            .sign_in(
                address,
                &other.public_key().to_string(),
                &n2,
                &bad.to_string()
            )
            .is_err());
        assert_eq!(s.who("nope"), None);
    }
}
