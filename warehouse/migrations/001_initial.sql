-- goldmine warehouse, schema 1. Every id is a deterministic hash of what the row was made from,
-- so every stage writes with INSERT OR IGNORE and a rerun adds nothing it already has.

CREATE TABLE runs (
    id            VARCHAR PRIMARY KEY,
    command       VARCHAR NOT NULL,
    params        JSON,
    status        VARCHAR NOT NULL,          -- running | completed | failed
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    counts        JSON,                      -- rows added per table and stage
    error         VARCHAR
);

CREATE TABLE sources (
    id            VARCHAR PRIMARY KEY,       -- hash of kind + location
    kind          VARCHAR NOT NULL,          -- repository | tickets
    location      VARCHAR NOT NULL,          -- absolute path
    name          VARCHAR NOT NULL,
    detail        JSON,                      -- root commits, shallow flag, ticket format …
    first_run_id  VARCHAR
);

CREATE TABLE watermarks (
    source_id     VARCHAR NOT NULL,
    ref           VARCHAR NOT NULL,          -- refs/heads/main, HEAD, or the export's path
    position      VARCHAR NOT NULL,          -- last mined commit sha / export content hash
    run_id        VARCHAR NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source_id, ref)
);

CREATE TABLE commits (
    id                VARCHAR PRIMARY KEY,   -- hash of source id + sha
    source_id         VARCHAR NOT NULL,
    sha               VARCHAR NOT NULL,
    parents           VARCHAR[] NOT NULL,
    author            VARCHAR,               -- name (configurable) 
    author_email_hash VARCHAR,               -- keyed hash; the address itself is never stored
    authored_at       TIMESTAMPTZ,
    committed_at      TIMESTAMPTZ,
    subject           VARCHAR NOT NULL,
    body              VARCHAR NOT NULL,
    is_merge          BOOLEAN NOT NULL,
    non_utf8          BOOLEAN NOT NULL,
    files_changed     INTEGER NOT NULL,
    added_lines       INTEGER NOT NULL,
    deleted_lines     INTEGER NOT NULL,
    miner_version     VARCHAR NOT NULL,
    run_id            VARCHAR NOT NULL
);

CREATE TABLE file_changes (
    id             VARCHAR PRIMARY KEY,      -- hash of commit id + position
    commit_id      VARCHAR NOT NULL,
    position       INTEGER NOT NULL,
    change_type    VARCHAR NOT NULL,         -- added | deleted | modified | renamed | copied | type_changed
    old_path       VARCHAR,
    new_path       VARCHAR,
    path           VARCHAR NOT NULL,
    lang           VARCHAR,                  -- tree-sitter language, when goldmine has a grammar
    old_blob       VARCHAR,
    new_blob       VARCHAR,
    similarity     INTEGER,
    is_binary      BOOLEAN NOT NULL,
    is_submodule   BOOLEAN NOT NULL,
    added_lines    INTEGER NOT NULL,
    deleted_lines  INTEGER NOT NULL,
    diff           VARCHAR NOT NULL,         -- redacted patch text, cut at the size cap
    truncated      BOOLEAN NOT NULL,
    non_utf8       BOOLEAN NOT NULL
);

CREATE TABLE symbols (
    id             VARCHAR PRIMARY KEY,      -- hash of file change id + qualified name
    commit_id      VARCHAR NOT NULL,
    file_change_id VARCHAR NOT NULL,
    path           VARCHAR NOT NULL,
    lang           VARCHAR NOT NULL,
    qualified_name VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,         -- function | method | class
    change         VARCHAR NOT NULL,         -- added | modified | deleted
    start_line     INTEGER,
    end_line       INTEGER,
    before_code    VARCHAR,
    after_code     VARCHAR,
    doc            VARCHAR
);

CREATE TABLE tickets (
    id          VARCHAR PRIMARY KEY,         -- hash of source id + key
    source_id   VARCHAR NOT NULL,
    tracker     VARCHAR NOT NULL,            -- github | gitlab | jira | generic
    key         VARCHAR NOT NULL,
    title       VARCHAR NOT NULL,
    body        VARCHAR NOT NULL,
    type        VARCHAR,
    labels      VARCHAR[],
    state       VARCHAR,
    resolution  VARCHAR,
    created_at  TIMESTAMPTZ,
    closed_at   TIMESTAMPTZ,
    url         VARCHAR,
    comments    JSON,                        -- [{author, created_at, body, is_bot}]
    run_id      VARCHAR NOT NULL
);

CREATE TABLE ticket_links (
    ticket_id   VARCHAR NOT NULL,
    commit_id   VARCHAR NOT NULL,
    method      VARCHAR NOT NULL,            -- closing_keyword | trailer | merge_pull_request | branch_name | subject_key | mention
    confidence  DOUBLE NOT NULL,
    PRIMARY KEY (ticket_id, commit_id)
);

CREATE TABLE secret_findings (
    id          VARCHAR PRIMARY KEY,
    location    VARCHAR NOT NULL,            -- table:row id:column
    kind        VARCHAR NOT NULL,            -- aws-access-key, private-key, email …
    value_hash  VARCHAR NOT NULL,            -- keyed hash of the secret; never the secret
    run_id      VARCHAR NOT NULL
);

CREATE TABLE tasks (
    id          VARCHAR PRIMARY KEY,         -- hash of commit/ticket ids + family + unit + selector version
    source_id   VARCHAR NOT NULL,
    commit_id   VARCHAR,
    ticket_id   VARCHAR,
    family      VARCHAR NOT NULL,            -- bugfix | feature | refactor | tests | docs | …
    polarity    VARCHAR NOT NULL,            -- positive | negative | edge
    status      VARCHAR NOT NULL,            -- selected | skipped
    reason      VARCHAR NOT NULL,            -- why the moment was chosen, or why it was skipped
    facts       JSON NOT NULL,               -- the ids of the facts the task uses
    selector_version VARCHAR NOT NULL,
    run_id      VARCHAR NOT NULL
);

CREATE TABLE candidates (
    id          VARCHAR PRIMARY KEY,         -- hash of task id + kind + lang + drafter + template hash + seeds
    task_id     VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,            -- instruction | agent
    task_type   VARCHAR NOT NULL,
    lang        VARCHAR NOT NULL,            -- en | zh
    drafter     VARCHAR NOT NULL,            -- extractive | llm:<model>
    template    VARCHAR NOT NULL,            -- name@hash
    status      VARCHAR NOT NULL,            -- pending | accepted | rejected | unparseable
    score       DOUBLE,
    record      JSON,                        -- the record in the export contract
    provenance  JSON NOT NULL,
    raw_reply   VARCHAR,                     -- an LLM's reply, kept even when it did not parse
    llm_call_id VARCHAR,
    text_hash   VARCHAR,                     -- normalised text hash for exact-duplicate detection
    run_id      VARCHAR NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE checks (
    candidate_id VARCHAR NOT NULL,
    "check"      VARCHAR NOT NULL,
    passed       BOOLEAN NOT NULL,
    score        DOUBLE NOT NULL,            -- 0..1 sub-score
    detail       VARCHAR NOT NULL,
    run_id       VARCHAR NOT NULL,
    PRIMARY KEY (candidate_id, "check")
);

CREATE TABLE llm_calls (
    id                VARCHAR PRIMARY KEY,   -- hash of the request payload
    endpoint          VARCHAR NOT NULL,
    model             VARCHAR NOT NULL,
    request           JSON NOT NULL,
    reply             VARCHAR,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    cost_usd          DOUBLE,
    latency_ms        DOUBLE,
    error             VARCHAR,
    run_id            VARCHAR NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL
);

CREATE TABLE reviews (
    id            VARCHAR PRIMARY KEY,
    candidate_id  VARCHAR NOT NULL,
    verdict       VARCHAR NOT NULL,          -- accepted | rejected | edited
    reasons       VARCHAR[],
    note          VARCHAR,
    edited_record JSON,
    reviewer      VARCHAR,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE exports (
    id          VARCHAR PRIMARY KEY,         -- hash of format + file content
    run_id      VARCHAR NOT NULL,
    format      VARCHAR NOT NULL,            -- alpaca | sharegpt | openai
    path        VARCHAR NOT NULL,
    records     INTEGER NOT NULL,
    sha256      VARCHAR NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE exported_records (
    export_id     VARCHAR NOT NULL,
    candidate_id  VARCHAR NOT NULL,
    PRIMARY KEY (export_id, candidate_id)
);
