-- Facts the miners learned to read (issue 3): commit-message facts, Python details of changed
-- functions, and the tracker-specific fields of tickets.

-- Trailers as [{key, value}] (person trailers: {key, name, email_hash}); the sha a revert reverts
-- and the sha a cherry-pick was picked from, as the message writes them; bot and version-bump flags.
ALTER TABLE commits ADD COLUMN trailers JSON;
ALTER TABLE commits ADD COLUMN reverts VARCHAR;
ALTER TABLE commits ADD COLUMN cherry_picked_from VARCHAR;
ALTER TABLE commits ADD COLUMN is_bot BOOLEAN;
ALTER TABLE commits ADD COLUMN is_version_bump BOOLEAN;

-- Python functions and methods of commits that change only a few units (read with libcst):
-- the signature, and {decorators, parameters, returns, is_async, handles_errors, catches, raises,
-- logs, log_calls}.
ALTER TABLE symbols ADD COLUMN signature VARCHAR;
ALTER TABLE symbols ADD COLUMN details JSON;

-- Tracker fields beyond the common ones: components, versions, fix_versions, environment,
-- priority, milestone, reporter, assignee, status (as the tracker names it) …
ALTER TABLE tickets ADD COLUMN fields JSON;
-- A hash of the ticket's stored content: a newer export that changes a ticket replaces its row.
ALTER TABLE tickets ADD COLUMN content_hash VARCHAR;
