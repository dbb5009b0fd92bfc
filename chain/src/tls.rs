//! The process's TLS crypto provider. aptos-sdk builds reqwest with `rustls-no-provider`,
//! so every `reqwest::Client` in the process (not only aptos-sdk's own) panics on
//! construction unless a default provider is installed first. aptos-sdk installs `ring`
//! when it builds its clients; anything that builds a client without one calls this first.

/// Installs `ring` as the process's default rustls provider unless one is set. Idempotent.
pub fn install_tls_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing the race to another thread is fine: a provider is installed either way.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_client_can_be_built_after_installing() {
        super::install_tls_provider();
        super::install_tls_provider();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }
}
