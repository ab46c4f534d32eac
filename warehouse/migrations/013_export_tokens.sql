-- The training window ([export] tokenizer, [export] max_tokens): every exported row's token count,
-- and the rows kept out of a file because they would not fit.

-- NULL for rows exported before token counts existed.
ALTER TABLE exported_records ADD COLUMN tokens INTEGER;

-- One row kept out of one dataset file, with the reason (a value, counted; never parsed prose).
CREATE TABLE export_drops (
    id            VARCHAR PRIMARY KEY,       -- hash of dataset + candidate + tokens + max_tokens + counter
    run_id        VARCHAR NOT NULL,          -- the run that first dropped it
    dataset       VARCHAR NOT NULL,          -- goldmine_sharegpt_think, goldmine_alpaca_holdout …
    candidate_id  VARCHAR NOT NULL,
    reason        VARCHAR NOT NULL,          -- over_max_tokens
    tokens        INTEGER NOT NULL,          -- the row's count
    max_tokens    INTEGER NOT NULL,          -- the limit it was over
    counter       VARCHAR NOT NULL,          -- the tokenizer that counted (or the byte estimate)
    created_at    TIMESTAMPTZ NOT NULL
);
