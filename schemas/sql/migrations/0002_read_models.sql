-- The read models the projector maintains from the log (issue 5). Every amount is an
-- integer number of octas as NUMERIC(20,0) (u64 fits); no floating point anywhere. Rows that
-- chain events update carry the (version, index) of the last event applied, so a re-indexed
-- (older) duplicate can never overwrite a newer fact.

CREATE TABLE providers (
    address           TEXT PRIMARY KEY,
    gpu_type          TEXT NOT NULL,
    vram_gb           INTEGER NOT NULL CHECK (vram_gb > 0),
    price_per_second  NUMERIC(20,0) NOT NULL CHECK (price_per_second >= 0),
    stake             NUMERIC(20,0) NOT NULL DEFAULT 0 CHECK (stake >= 0),
    is_active         BOOLEAN NOT NULL,
    registered_at     TIMESTAMPTZ NOT NULL,
    unstaked_at       TIMESTAMPTZ,
    last_heartbeat_at TIMESTAMPTZ,
    last_version      BIGINT NOT NULL,
    last_index        INTEGER NOT NULL
);

CREATE TABLE jobs (
    job_id            BIGINT PRIMARY KEY,
    buyer             TEXT NOT NULL,
    provider          TEXT NOT NULL,
    docker_image      TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
    escrow_amount     NUMERIC(20,0) NOT NULL,
    max_duration_secs BIGINT NOT NULL,
    price_per_second  NUMERIC(20,0) NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    started_at        TIMESTAMPTZ,
    ended_at          TIMESTAMPTZ,
    exit_code         BIGINT,
    reason            TEXT NOT NULL DEFAULT '',
    output_url        TEXT,
    output_cid        TEXT,
    last_version      BIGINT NOT NULL,
    last_index        INTEGER NOT NULL
);
CREATE INDEX jobs_by_provider ON jobs (provider, job_id DESC);
CREATE INDEX jobs_by_buyer ON jobs (buyer, job_id DESC);
CREATE INDEX jobs_by_status ON jobs (status, job_id DESC);

-- Escrow conservation holds by construction: locked is derived, and can never be negative.
CREATE TABLE escrows (
    job_id    BIGINT PRIMARY KEY,
    buyer     TEXT NOT NULL,
    deposited NUMERIC(20,0) NOT NULL DEFAULT 0,
    released  NUMERIC(20,0) NOT NULL DEFAULT 0,
    refunded  NUMERIC(20,0) NOT NULL DEFAULT 0,
    locked    NUMERIC(20,0) GENERATED ALWAYS AS (deposited - released - refunded) STORED,
    CHECK (deposited >= released + refunded)
);

CREATE TABLE payment_streams (
    stream_id        BIGINT PRIMARY KEY,
    buyer            TEXT NOT NULL,
    provider         TEXT NOT NULL,
    buyer_public_key TEXT NOT NULL,
    rate_per_second  NUMERIC(20,0) NOT NULL,
    escrow           NUMERIC(20,0) NOT NULL,
    -- Off chain: seconds attested by the provider's metering chain, newest buyer voucher.
    attested_seconds BIGINT NOT NULL DEFAULT 0,
    vouchered        NUMERIC(20,0) NOT NULL DEFAULT 0,
    -- On chain: paid to the provider, refunded to the buyer.
    settled          NUMERIC(20,0) NOT NULL DEFAULT 0,
    refunded         NUMERIC(20,0) NOT NULL DEFAULT 0,
    status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    opened_at        TIMESTAMPTZ NOT NULL,
    closed_at        TIMESTAMPTZ,
    accrued          NUMERIC(20,0) GENERATED ALWAYS AS (LEAST(attested_seconds * rate_per_second, escrow)) STORED,
    remaining        NUMERIC(20,0) GENERATED ALWAYS AS (escrow - settled - refunded) STORED
);
CREATE INDEX payment_streams_by_provider ON payment_streams (provider);

-- Every buyer voucher seen (cumulative: the newest is the largest).
CREATE TABLE vouchers (
    stream_id         BIGINT NOT NULL,
    cumulative_amount NUMERIC(20,0) NOT NULL,
    second            BIGINT NOT NULL,
    received_at       TIMESTAMPTZ NOT NULL,
    commitment_id     TEXT NOT NULL,
    PRIMARY KEY (stream_id, cumulative_amount)
);

-- On-chain redemptions (StreamSettled), one row per (version, event index).
CREATE TABLE stream_settlements (
    version           BIGINT NOT NULL,
    event_index       INTEGER NOT NULL,
    stream_id         BIGINT NOT NULL,
    cumulative_amount NUMERIC(20,0) NOT NULL,
    paid_now          NUMERIC(20,0) NOT NULL,
    paid_total        NUMERIC(20,0) NOT NULL,
    settled_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (version, event_index)
);
CREATE INDEX stream_settlements_by_stream ON stream_settlements (stream_id, version);

-- Rejected vouchers of settlement batches (VoucherRejected), and the coin movements of
-- escrow transactions (escrow_coin_moved), one row per chain event.
CREATE TABLE voucher_rejections (
    version           BIGINT NOT NULL,
    event_index       INTEGER NOT NULL,
    stream_id         BIGINT NOT NULL,
    cumulative_amount NUMERIC(20,0) NOT NULL,
    reason            SMALLINT NOT NULL,
    rejected_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (version, event_index)
);
CREATE TABLE escrow_coin_movements (
    version     BIGINT NOT NULL,
    event_index INTEGER NOT NULL,
    job_id      BIGINT NOT NULL,
    account     TEXT NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ('withdraw', 'deposit')),
    amount      NUMERIC(20,0) NOT NULL,
    coin_type   TEXT NOT NULL,
    moved_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (version, event_index)
);

-- The settler's batches (off-chain lifecycle) and their items.
CREATE TABLE settlements (
    batch_id         TEXT PRIMARY KEY,
    settler          TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('submitted', 'confirmed', 'failed')),
    transaction_hash TEXT,
    sequence_number  BIGINT,
    version          BIGINT,
    gas_used         BIGINT,
    reason           TEXT,
    submitted_at     TIMESTAMPTZ,
    finished_at      TIMESTAMPTZ
);
CREATE TABLE settlement_items (
    batch_id          TEXT NOT NULL,
    stream_id         BIGINT NOT NULL,
    cumulative_amount NUMERIC(20,0) NOT NULL,
    paid_now          NUMERIC(20,0),
    PRIMARY KEY (batch_id, stream_id)
);

-- Reputation, in basis points (integers, 10000 = perfect):
--   reputation_bps = (5 * completion_bps + 3 * uptime_bps + 2 * stake_bps) / 10
--   completion_bps = completed * 10000 / (completed + failed)   (10000 with no finished job)
--   uptime_bps     = minutes with a heartbeat in the last 24 h * 10000 / 1440
--   stake_bps      = min(stake, 10 MOVE) * 10000 / 10 MOVE
-- (0003 defines it, once the heartbeats table exists.)
