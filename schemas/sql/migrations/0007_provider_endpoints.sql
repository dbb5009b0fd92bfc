-- Where each provider's x402 endpoint is (`provider_heartbeat` v3 `endpoint`): the newest
-- announcement wins. Its own table, not a column of `providers`: heartbeats come on another
-- topic and may be projected before the provider's registration.
CREATE TABLE provider_endpoints (
    provider     TEXT PRIMARY KEY,
    endpoint     TEXT NOT NULL CHECK (endpoint ~ '^https?://'),
    announced_at TIMESTAMPTZ NOT NULL
);
