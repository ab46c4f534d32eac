-- Review samples: which candidates a person was asked to read, in which order, and how they were
-- drawn, so a review resumes where it stopped and the draw can be reproduced and audited.
CREATE TABLE review_samples (
    id          VARCHAR PRIMARY KEY,         -- hash of seed + sizes asked + the pool drawn from
    seed        BIGINT NOT NULL,
    requested   INTEGER NOT NULL,            -- assay-accepted candidates asked for (--sample)
    requested_rejected INTEGER NOT NULL,     -- assay-rejected candidates mixed in (--with-rejected)
    size        INTEGER NOT NULL,            -- items drawn (fewer when the pool was smaller)
    pool        INTEGER NOT NULL,            -- unreviewed candidates the sample was drawn from
    strata      JSON NOT NULL,               -- {"instruction/bugfix/en": {"pool": 40, "drawn": 12}, …}
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE review_sample_items (
    sample_id     VARCHAR NOT NULL,
    position      INTEGER NOT NULL,          -- 1-based order on the review page
    candidate_id  VARCHAR NOT NULL,
    stratum       VARCHAR NOT NULL,          -- kind/task_type/lang
    assay_status  VARCHAR NOT NULL,          -- the assay's verdict when drawn: accepted | rejected
    PRIMARY KEY (sample_id, position)
);
