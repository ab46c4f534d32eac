-- Why a task or a draft was skipped, as a category that is counted (warehouse/outcomes.py):
-- `reason` stays the sentence a person reads; runs count and users group by the category.
ALTER TABLE tasks ADD COLUMN skip_category VARCHAR;
ALTER TABLE draft_skips ADD COLUMN category VARCHAR;

-- Rows written before this migration get the category their reason's words name.
UPDATE tasks SET skip_category = CASE
    WHEN reason LIKE 'merge commit:%' THEN 'merge'
    WHEN reason LIKE 'revert:%' THEN 'revert'
    WHEN reason = 'made by a bot' THEN 'bot'
    WHEN reason LIKE 'version bump:%' THEN 'version_bump'
    WHEN reason LIKE 'formatting only:%' THEN 'formatting'
    WHEN reason = 'documentation only' THEN 'docs'
    WHEN reason LIKE 'only generated, vendored or lock files%' THEN 'generated'
    WHEN reason = 'no file changes' THEN 'empty'
    WHEN reason = 'build or maintenance chore' THEN 'chore'
    WHEN reason LIKE 'initial commit:%' THEN 'initial_commit'
    WHEN reason LIKE 'tests only, but%' THEN 'tests_unreadable'
    WHEN reason LIKE 'tests only:%' THEN 'test_helpers_only'
    WHEN reason LIKE 'no function or class changed%' THEN 'no_parsed_unit'
    WHEN reason LIKE 'sprawling change:%' THEN 'sprawling'
    WHEN reason LIKE 'split:%' THEN 'split'
    WHEN reason LIKE 'review: the revert gives no reason%' THEN 'review_without_reason'
    WHEN reason LIKE 'review: the reverted change%' THEN 'review_without_unit'
    WHEN reason LIKE 'unresolved:%' THEN 'unresolved'
    WHEN reason LIKE 'closed as %' THEN 'closed_unresolved'
    WHEN reason LIKE 'pull request:%' OR reason LIKE 'merge request:%' THEN 'pull_request'
    WHEN reason LIKE 'feature request:%' THEN 'feature_request'
    WHEN reason LIKE 'no resolution in the thread%' THEN 'no_resolution'
    WHEN reason LIKE 'resolved by a code change%' THEN 'resolved_by_code'
END
WHERE status = 'skipped';

UPDATE draft_skips SET category = CASE
    WHEN reason LIKE '%drafter does not make%' OR reason LIKE '%makes instruction records, not%'
        OR reason LIKE 'the llm drafter makes%' OR reason LIKE 'no LLM template for%'
        THEN 'kind_not_drafted'
    WHEN reason LIKE 'no changed function or class%' THEN 'no_unit'
    WHEN reason = 'a unit has no code after the change' THEN 'unit_without_code'
    WHEN reason LIKE 'unit too long%' THEN 'unit_too_long'
    WHEN reason LIKE 'too little context%' THEN 'too_little_context'
    WHEN reason LIKE 'the code the tests exercise%' THEN 'no_code_under_test'
    WHEN reason LIKE 'the documentation the commit wrote%' THEN 'docs_unreadable'
    WHEN reason LIKE 'the commit wrote comments in the code%' THEN 'docstring_already_there'
    WHEN reason = 'no guard clause was added' THEN 'no_new_guard'
    WHEN reason LIKE 'the revert does not say%' THEN 'revert_gives_no_reason'
    WHEN reason LIKE '%tasks are not drafted as agent trajectories' THEN 'not_an_agent_task'
    WHEN reason LIKE 'a root commit has no parent%' THEN 'root_commit'
    WHEN reason LIKE 'the commit''s patch for its units is empty' THEN 'empty_patch'
    WHEN reason LIKE 'the commit''s patch does not apply%' THEN 'patch_does_not_apply'
    WHEN reason LIKE 'patch too long for one trajectory%' THEN 'not_replayable'
    WHEN reason LIKE 'the thread shows no lookup%' THEN 'no_catalog_lookup'
    WHEN reason LIKE 'the thread no longer has an answer%' THEN 'no_answer'
    WHEN reason LIKE 'the answer gives no step%' THEN 'no_step'
    WHEN reason LIKE 'the endpoint rejected the prompt%' THEN 'endpoint_rejected'
END;
