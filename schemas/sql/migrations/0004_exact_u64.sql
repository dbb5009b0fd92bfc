-- u64 values from the chain are kept exactly: a job's maximum duration and the exit code a
-- provider reports are any u64 the package accepts, so they are NUMERIC(20,0) like every
-- amount (BIGINT stops at 2^63 - 1; the projector used to clamp there).
ALTER TABLE jobs ALTER COLUMN max_duration_secs TYPE NUMERIC(20,0);
ALTER TABLE jobs ALTER COLUMN exit_code TYPE NUMERIC(20,0);
