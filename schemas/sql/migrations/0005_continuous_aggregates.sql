-- The per-minute rollups on TimescaleDB: continuous aggregates, maintained by TimescaleDB
-- instead of the projector (issue 20). Plain Postgres keeps the projector-maintained tables
-- of 0003; this migration changes nothing there.
--
-- A rollup's earnings are seconds x the stream's rate, and a tick does not carry the rate
-- (it is on payment_streams, from StreamOpened, which may arrive after the stream's first
-- ticks: another topic). A continuous aggregate cannot see a change to a joined table, so
-- what TimescaleDB aggregates is what ticks alone determine: `payment_ticks_minute`, the
-- seconds and CPU time of each stream in each minute. `job_usage_minute` and
-- `provider_earnings_minute` become views that join it with the stream's provider and rate
-- at query time: the same names, columns and types as the tables of the plain path, so an
-- analyst's SQL is the same on both, and a rate that becomes known later counts at once.
--
-- The aggregate is real time (`materialized_only = false`): minutes after the last refresh
-- are aggregated from the ticks when queried. The refresh policy materializes up to one
-- minute ago, every minute, over all time (no start offset: a replay into a fresh schema
-- writes history of any age, and a tick for an already materialized minute is picked up by
-- the next run). The rollups cover what the raw ticks cover: when retention drops old chunks,
-- the next refresh drops their minutes too (equal to a recomputation from the ticks).
DO $migration$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM timescaledb_information.hypertables
                   WHERE hypertable_schema = current_schema() AND hypertable_name = 'payment_ticks') THEN
        RETURN;
    END IF;

    DROP TABLE job_usage_minute;
    DROP TABLE provider_earnings_minute;

    EXECUTE $cagg$
        CREATE MATERIALIZED VIEW payment_ticks_minute
        WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
        SELECT stream_id,
               time_bucket(INTERVAL '1 minute', at) AS minute,
               count(*) AS seconds_served,
               sum(cpu_usage_micros) AS cpu_usage_micros
        FROM payment_ticks
        GROUP BY stream_id, time_bucket(INTERVAL '1 minute', at)
        WITH NO DATA
    $cagg$;
    PERFORM add_continuous_aggregate_policy('payment_ticks_minute',
        start_offset => NULL,
        end_offset => INTERVAL '1 minute',
        schedule_interval => INTERVAL '1 minute');

    CREATE VIEW job_usage_minute AS
    SELECT m.stream_id AS job_id,
           m.minute,
           ps.provider,
           m.seconds_served::integer AS seconds_served,
           (m.seconds_served * ps.rate_per_second)::numeric(20,0) AS earnings,
           m.cpu_usage_micros::bigint AS cpu_usage_micros
    FROM payment_ticks_minute m
    JOIN payment_streams ps ON ps.stream_id = m.stream_id;

    -- utilization_bps: seconds served * 10000 / 60 (integer division, as on plain Postgres).
    CREATE VIEW provider_earnings_minute AS
    SELECT ps.provider,
           m.minute,
           sum(m.seconds_served)::integer AS seconds_served,
           sum(m.seconds_served * ps.rate_per_second)::numeric(20,0) AS earnings,
           (sum(m.seconds_served)::bigint * 10000 / 60)::integer AS utilization_bps
    FROM payment_ticks_minute m
    JOIN payment_streams ps ON ps.stream_id = m.stream_id
    GROUP BY ps.provider, m.minute;

    GRANT SELECT ON payment_ticks_minute, job_usage_minute, provider_earnings_minute TO computestream_analyst;
END
$migration$;
