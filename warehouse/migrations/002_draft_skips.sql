-- Why a drafter made no record of a kind and language from a selected task, so the next run
-- does not try again (and a user can ask: select reason, count(*) from draft_skips group by 1).
CREATE TABLE draft_skips (
    task_id   VARCHAR NOT NULL,
    kind      VARCHAR NOT NULL,
    lang      VARCHAR NOT NULL,
    drafter   VARCHAR NOT NULL,
    reason    VARCHAR NOT NULL,
    run_id    VARCHAR NOT NULL,
    PRIMARY KEY (task_id, kind, lang, drafter)
);
