-- Time series and per-minute rollups. With the TimescaleDB extension available, the
-- time-series tables are hypertables with compression and retention policies; without it
-- (these machines), they are declaratively partitioned by day, with a default partition,
-- and the projector creates the daily partitions ahead. The names are the same either way,
-- so an analyst's SQL runs on both. The rollups are tables the projector recomputes for
-- every minute a batch touches, in both paths (exact and order-independent: a rollup needs
-- the stream's rate, which a tick alone does not carry).
DO $migration$
DECLARE
    timescale BOOLEAN := EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb');
BEGIN
    IF timescale THEN
        CREATE EXTENSION IF NOT EXISTS timescaledb;
        CREATE TABLE payment_ticks (
            stream_id        BIGINT NOT NULL,
            second           BIGINT NOT NULL,
            at               TIMESTAMPTZ NOT NULL,
            provider         TEXT NOT NULL,
            cpu_usage_micros BIGINT NOT NULL,
            memory_bytes     BIGINT NOT NULL,
            gpu_utilization  SMALLINT,
            gpu_memory_bytes BIGINT,
            PRIMARY KEY (stream_id, second, at)
        );
        PERFORM create_hypertable('payment_ticks', 'at', chunk_time_interval => INTERVAL '1 day');
        ALTER TABLE payment_ticks SET (timescaledb.compress, timescaledb.compress_segmentby = 'stream_id');
        PERFORM add_compression_policy('payment_ticks', INTERVAL '7 days');
        PERFORM add_retention_policy('payment_ticks', INTERVAL '400 days');
        CREATE TABLE provider_heartbeats (
            provider     TEXT NOT NULL,
            at           TIMESTAMPTZ NOT NULL,
            available    BOOLEAN NOT NULL,
            running_jobs INTEGER NOT NULL,
            PRIMARY KEY (provider, at)
        );
        PERFORM create_hypertable('provider_heartbeats', 'at', chunk_time_interval => INTERVAL '1 day');
        ALTER TABLE provider_heartbeats SET (timescaledb.compress, timescaledb.compress_segmentby = 'provider');
        PERFORM add_compression_policy('provider_heartbeats', INTERVAL '7 days');
        PERFORM add_retention_policy('provider_heartbeats', INTERVAL '90 days');
    ELSE
        CREATE TABLE payment_ticks (
            stream_id        BIGINT NOT NULL,
            second           BIGINT NOT NULL,
            at               TIMESTAMPTZ NOT NULL,
            provider         TEXT NOT NULL,
            cpu_usage_micros BIGINT NOT NULL,
            memory_bytes     BIGINT NOT NULL,
            gpu_utilization  SMALLINT,
            gpu_memory_bytes BIGINT,
            PRIMARY KEY (stream_id, second, at)
        ) PARTITION BY RANGE (at);
        CREATE TABLE payment_ticks_default PARTITION OF payment_ticks DEFAULT;
        CREATE TABLE provider_heartbeats (
            provider     TEXT NOT NULL,
            at           TIMESTAMPTZ NOT NULL,
            available    BOOLEAN NOT NULL,
            running_jobs INTEGER NOT NULL,
            PRIMARY KEY (provider, at)
        ) PARTITION BY RANGE (at);
        CREATE TABLE provider_heartbeats_default PARTITION OF provider_heartbeats DEFAULT;
    END IF;
END
$migration$;

CREATE INDEX payment_ticks_by_time ON payment_ticks (at);

CREATE TABLE job_usage_minute (
    job_id           BIGINT NOT NULL,
    minute           TIMESTAMPTZ NOT NULL,
    provider         TEXT NOT NULL,
    seconds_served   INTEGER NOT NULL,
    earnings         NUMERIC(20,0) NOT NULL,
    cpu_usage_micros BIGINT NOT NULL,
    PRIMARY KEY (job_id, minute)
);

CREATE TABLE provider_earnings_minute (
    provider        TEXT NOT NULL,
    minute          TIMESTAMPTZ NOT NULL,
    seconds_served  INTEGER NOT NULL,
    earnings        NUMERIC(20,0) NOT NULL,
    -- Seconds served * 10000 / 60: 10000 = one job for the whole minute (more with
    -- concurrent jobs on one provider).
    utilization_bps INTEGER NOT NULL,
    PRIMARY KEY (provider, minute)
);

CREATE VIEW provider_reputation AS
SELECT p.address,
       COALESCE(j.completed, 0) AS jobs_completed,
       COALESCE(j.failed, 0)    AS jobs_failed,
       COALESCE(h.minutes_up, 0) AS heartbeat_minutes_24h,
       ((5 * CASE WHEN COALESCE(j.completed, 0) + COALESCE(j.failed, 0) = 0 THEN 10000
                  ELSE j.completed * 10000 / (j.completed + j.failed) END
         + 3 * LEAST(COALESCE(h.minutes_up, 0), 1440) * 10000 / 1440
         + 2 * div(LEAST(p.stake, 1000000000) * 10000, 1000000000)) / 10)::BIGINT AS reputation_bps
FROM providers p
LEFT JOIN (SELECT provider,
                  count(*) FILTER (WHERE status = 'completed') AS completed,
                  count(*) FILTER (WHERE status = 'failed') AS failed
           FROM jobs GROUP BY provider) j ON j.provider = p.address
LEFT JOIN (SELECT provider, count(DISTINCT date_trunc('minute', at)) AS minutes_up
           FROM provider_heartbeats WHERE at > now() - INTERVAL '1 day'
           GROUP BY provider) h ON h.provider = p.address;

-- Analysts read, never write: a role to grant to their logins.
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'computestream_analyst') THEN
        CREATE ROLE computestream_analyst NOLOGIN;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO computestream_analyst', current_schema());
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO computestream_analyst', current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO computestream_analyst', current_schema());
END
$roles$;
