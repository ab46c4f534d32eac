-- What the LLM client needs to say about a call besides its reply: how many HTTP attempts it
-- took (429s and 5xx are retried inside one call) and what the call was for (draft | repair).
-- A call's row holds its final outcome; a failed call is replaced when a later run succeeds.
ALTER TABLE llm_calls ADD COLUMN attempts INTEGER;
ALTER TABLE llm_calls ADD COLUMN purpose VARCHAR;
