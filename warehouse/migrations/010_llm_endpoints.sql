-- The structured-output mode each endpoint and model accepts (issue 16), found by what the server
-- answered to its first request and reused by every later run: a server that rejects
-- response_format json_schema is asked that way once, not once per request and run.
CREATE TABLE llm_endpoints (
    endpoint   VARCHAR NOT NULL,   -- the base URL without credentials, as in llm_calls.endpoint
    model      VARCHAR NOT NULL,
    mode       VARCHAR NOT NULL,   -- json_schema | json_object | none (JSON parsed from the text)
    reason     VARCHAR NOT NULL,   -- why: what the server answered in the stronger modes
    run_id     VARCHAR NOT NULL,   -- the run (or `goldmine llm check`) that found it
    chosen_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (endpoint, model)
);
