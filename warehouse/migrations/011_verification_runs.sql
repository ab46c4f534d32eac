-- Verification by execution ([verify] in goldmine.toml, `goldmine verify`): a task's acceptance
-- tests run in a git worktree at the commit (they must pass) and at its parent with the commit's
-- test files applied (they must fail).

-- One run of the test command on one side of a commit. The id is the cache key: a run with the
-- same commit, side, tests and command is never executed again (unless its environment failed).
CREATE TABLE verification_runs (
    id                VARCHAR PRIMARY KEY,   -- hash of commit sha + side + test files + command
    source_id         VARCHAR NOT NULL,
    commit_id         VARCHAR NOT NULL,
    sha               VARCHAR NOT NULL,      -- the tree the command ran on (the parent's for side parent)
    side              VARCHAR NOT NULL,      -- parent | commit
    command           VARCHAR NOT NULL,      -- the command as run, {tests} filled in
    tests             VARCHAR[] NOT NULL,    -- the test files it ran
    applied           VARCHAR[] NOT NULL,    -- side parent: the commit's test files written over the parent
    exit_status       INTEGER,               -- NULL when it did not finish in time
    timed_out         BOOLEAN NOT NULL,
    duration_seconds  DOUBLE NOT NULL,
    output_tail       VARCHAR NOT NULL,      -- the last lines of its output (stdout and stderr), redacted
    results           JSON,                  -- {pytest node id: passed | failed | error | skipped}; NULL: no report
    error_line        VARCHAR,               -- the commonest error of the tests that could not run (set-up, import)
    environment_error BOOLEAN NOT NULL,      -- the environment failed, not the task: never reused
    run_id            VARCHAR NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL
);

-- What the two runs say about one task.
CREATE TABLE verifications (
    id             VARCHAR PRIMARY KEY,      -- hash of task id + [verify] command
    task_id        VARCHAR NOT NULL,
    commit_id      VARCHAR NOT NULL,
    command        VARCHAR NOT NULL,         -- [verify] command as configured
    tests          VARCHAR[] NOT NULL,       -- the task's acceptance tests (node ids)
    status         VARCHAR NOT NULL,         -- executed | failed | unrunnable | untested
    fail_to_pass   VARCHAR[] NOT NULL,       -- acceptance tests that fail at the parent and pass at the commit
    pass_to_pass   VARCHAR[] NOT NULL,       -- tests of the same files that pass on both sides
    commit_run_id  VARCHAR,                  -- NULL when nothing ran (untested)
    parent_run_id  VARCHAR,                  -- NULL when the commit side decided it
    skip_category  VARCHAR,                  -- status failed: why the task was dropped (warehouse/outcomes.py)
    reason         VARCHAR NOT NULL,         -- the sentence a person reads
    run_id         VARCHAR NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL
);

-- Every candidate's verification: executed when its task's acceptance tests failed before the
-- change and passed after it, else static.
CREATE VIEW record_verification AS
SELECT c.id AS candidate_id,
       CASE WHEN EXISTS (SELECT 1 FROM verifications v
                         WHERE v.task_id = c.task_id AND v.status = 'executed')
            THEN 'executed' ELSE 'static' END AS verification
FROM candidates c;
