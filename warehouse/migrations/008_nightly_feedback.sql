-- Nightly runs and the feedback loop (issue 9).

-- Where each source stood when a run began and where the run left it:
-- [{source_id, source, kind, ref, before, after}], so "what did last night read" is one query.
ALTER TABLE runs ADD COLUMN watermarks JSON;

-- A fine-tuned model's failures fed back for the next training round (`goldmine feedback FILE`).
-- Each one becomes a task (family `correction` when the expected answer is given, else
-- `counter_example`) that is drafted and assayed like any other.
CREATE TABLE feedback (
    id            VARCHAR PRIMARY KEY,       -- hash of prompt + model output + expected + verdict
    round         INTEGER NOT NULL,          -- the training round whose model failed
    file          VARCHAR NOT NULL,          -- absolute path of the JSONL file it came from
    line          INTEGER NOT NULL,          -- its line number there
    prompt        VARCHAR NOT NULL,          -- what the model was asked (redacted, like all text)
    model_output  VARCHAR NOT NULL,          -- what it answered
    expected      VARCHAR,                   -- the answer it should have given, when known
    verdict       VARCHAR,                   -- what was wrong with the answer, when no expected answer
    model         VARCHAR,                   -- the failing model's name, when the line gives it
    record_id     VARCHAR,                   -- the goldmine record the prompt came from, when known
    meta          JSON,                      -- the line's other keys
    run_id        VARCHAR NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
