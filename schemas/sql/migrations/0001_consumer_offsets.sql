-- Consumer progress. A consumer that writes read models commits the next offset of each
-- partition in the same transaction as the rows that partition's records produced, so a
-- crash at any instant either keeps both or neither (exactly-once effects).
CREATE TABLE consumer_offsets (
    consumer    TEXT        NOT NULL,
    topic       TEXT        NOT NULL,
    partition   INTEGER     NOT NULL CHECK (partition >= 0),
    next_offset BIGINT      NOT NULL CHECK (next_offset >= 0),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, topic, partition)
);

COMMENT ON TABLE consumer_offsets IS
    'Next offset to read per consumer, topic and partition; written in the same transaction as the effects.';
