//! The marketplace web app (`web/`, a Next.js static export) served at `/`, and the
//! `/config.json` it reads at start: where the GraphQL, REST and node APIs are, the chain and
//! the package. The files are plain (no Node at run time); the gateway's own routes
//! (`/graphql`, `/graphql/ws`, `/api/v1`, `/config.json`) take precedence over them.
//!
//! Where the files are: `gateway.web.dir`, else `web/` beside the binary (the release
//! layout), else `web/out` under the working directory (a checkout after `npm run build`).
//! With none, `/` serves the read-only dashboard as before.

use std::path::{Path, PathBuf};

use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// `[gateway.web]`: what the browser is told in `/config.json`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WebAppConfig {
    /// The exported files (`web/out`); see the module docs for the default search.
    #[serde(default)]
    pub dir: Option<PathBuf>,
    /// The node API base URL the browser uses (wallets submit there). Default: the gateway's
    /// `node_url`.
    #[serde(default)]
    pub node_url: Option<String>,
    /// The faucet base URL (`POST {faucet}/mint`): the devnet's node URL without `/v1`;
    /// none on real networks (the page hides the faucet button).
    #[serde(default)]
    pub faucet_url: Option<String>,
    /// Explorer link templates with `{hash}` / `{address}`.
    #[serde(default)]
    pub explorer_tx_url: Option<String>,
    #[serde(default)]
    pub explorer_account_url: Option<String>,
}

impl WebAppConfig {
    /// Refuses URLs that are not `http(s)://` or page-relative (`/…`).
    pub fn validate(&self) -> Result<(), String> {
        for (name, url) in [
            ("node_url", &self.node_url),
            ("faucet_url", &self.faucet_url),
            ("explorer_tx_url", &self.explorer_tx_url),
            ("explorer_account_url", &self.explorer_account_url),
        ] {
            if let Some(u) = url {
                let ok =
                    u.starts_with("http://") || u.starts_with("https://") || u.starts_with('/');
                if !ok {
                    return Err(format!(
                        "gateway.web.{name} must be an http(s) URL or start with /: {u:?}"
                    ));
                }
            }
        }
        Ok(())
    }

    /// The directory to serve, if any holds an `index.html`.
    pub fn files(&self) -> Option<PathBuf> {
        let beside_binary = std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(|d| d.join("web")));
        let candidates = [
            self.dir.clone(),
            beside_binary,
            Some(PathBuf::from("web/out")),
        ];
        candidates
            .into_iter()
            .flatten()
            .find(|d| d.join("index.html").is_file())
    }
}

/// The body of `GET /config.json` (the shape `web/src/lib/config.ts` reads).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BrowserConfig {
    pub graphql_http: String,
    pub graphql_ws: String,
    pub rest_base: String,
    pub node_url: String,
    pub faucet_url: Option<String>,
    pub chain_id: u8,
    /// `movement:{chain_id}` (the wallet standard's chain name).
    pub network: String,
    /// The package address, 0x + 64 hex.
    pub package: String,
    pub explorer_tx_url: Option<String>,
    pub explorer_account_url: Option<String>,
}

impl BrowserConfig {
    pub fn new(
        web: &WebAppConfig,
        gateway_node_url: &str,
        chain_id: u8,
        package: &computestream_domain::AccountAddress,
    ) -> Self {
        Self {
            graphql_http: "/graphql".into(),
            graphql_ws: "/graphql/ws".into(),
            rest_base: "/api/v1".into(),
            node_url: web
                .node_url
                .clone()
                .unwrap_or_else(|| gateway_node_url.to_owned()),
            faucet_url: web.faucet_url.clone(),
            chain_id,
            network: format!("movement:{chain_id}"),
            package: package.to_long_string(),
            explorer_tx_url: web.explorer_tx_url.clone(),
            explorer_account_url: web.explorer_account_url.clone(),
        }
    }
}

/// `/config.json`, and the exported files under every other path (`ServeDir` with
/// `index.html` for directories; `/_next/static/` is content-hashed and cached for a year,
/// the pages are revalidated).
pub fn routes<S: Clone + Send + Sync + 'static>(
    browser: BrowserConfig,
    files: Option<&Path>,
) -> Router<S> {
    let config = Router::new().route(
        "/config.json",
        get(move || {
            let body = browser.clone();
            async move {
                (
                    [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
                    Json(body),
                )
                    .into_response()
            }
        }),
    );
    let Some(dir) = files else {
        return config;
    };
    let immutable = Router::new()
        .nest_service("/_next/static", ServeDir::new(dir.join("_next/static")))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ));
    let pages = Router::new()
        .fallback_service(ServeDir::new(dir).append_index_html_on_directories(true))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ));
    config.merge(immutable).merge(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_http_or_page_relative() {
        let mut c = WebAppConfig::default();
        assert!(c.validate().is_ok());
        c.node_url = Some("/node/v1".into());
        assert!(c.validate().is_ok());
        c.faucet_url = Some("javascript:alert(1)".into());
        assert!(c
            .validate()
            .expect_err("a javascript: URL")
            .contains("faucet_url"));
    }

    #[test]
    fn browser_config_defaults_to_the_gateways_node() {
        let pkg = computestream_domain::AccountAddress::new([0x0c; 32]);
        let b = BrowserConfig::new(&WebAppConfig::default(), "http://n:1/v1", 4, &pkg);
        assert_eq!(b.node_url, "http://n:1/v1");
        assert_eq!(b.network, "movement:4");
        assert_eq!(b.graphql_ws, "/graphql/ws");
        assert_eq!(b.package.len(), 66);
    }
}
