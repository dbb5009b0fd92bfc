-- Disputes (docs/DISPUTES.md): what the provider committed on chain when a job ended (the
-- SHA3-256 of its last metering record, 0x-hex, and the seconds metered: `job_registry::
-- EvidenceCommitted`) and the chain version that holds the commitment. Checking the records
-- against it is `computestream verify`'s work (it reads the log, not this table).
ALTER TABLE jobs
    ADD COLUMN metering_head TEXT,
    ADD COLUMN metered_seconds BIGINT CHECK (metered_seconds >= 0),
    ADD COLUMN evidence_version BIGINT;
