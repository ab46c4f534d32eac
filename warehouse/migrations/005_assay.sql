-- The assay's own tables: near-duplicate clusters, the MinHash signatures that let the next run
-- compare against this one, and the train/holdout split.

-- One row per member of a cluster of duplicates (singletons have no row). A member is a
-- candidate, or `gold:<id>` for a gold record the cluster copies. The cluster keeps one member:
-- a gold, else a candidate accepted in an earlier run, else the best-scored new one.
CREATE TABLE dup_clusters (
    candidate_id VARCHAR PRIMARY KEY,
    cluster_id   VARCHAR NOT NULL,           -- the id of the member the cluster first kept
    kept         BOOLEAN NOT NULL,
    method       VARCHAR NOT NULL,           -- kept | exact (same normalised text) | near (Jaccard ≥ threshold)
    similarity   DOUBLE NOT NULL,            -- true Jaccard of the shingle sets with the kept member
    run_id       VARCHAR NOT NULL
);

-- The MinHash signature of every candidate that took part in near-duplicate detection.
CREATE TABLE dup_signatures (
    candidate_id VARCHAR PRIMARY KEY,
    params       VARCHAR NOT NULL,           -- shingle and hash parameters; other params are never compared
    signature    BLOB NOT NULL,              -- num_perm little-endian uint32 values
    run_id       VARCHAR NOT NULL
);

-- Train or holdout, by commit time, for every accepted candidate (recomputed by each assay run).
CREATE TABLE splits (
    candidate_id VARCHAR PRIMARY KEY,
    split        VARCHAR NOT NULL,           -- train | holdout
    group_key    VARCHAR NOT NULL,           -- the ticket or commit whose records stay on one side
    committed_at TIMESTAMPTZ,                -- the newest commit time of the group
    rule         VARCHAR NOT NULL,           -- e.g. "newest 10%" or "after 2024-06-01"
    run_id       VARCHAR NOT NULL
);
