-- What about a commit could not be stored as git wrote it (issue 18): a time zone beyond ±14:00
-- (clamped), a date before 1970 or after 2100, an identity without an e-mail, a non-UTF-8 name, an
-- empty message, a parent listed twice … (names in miners/commit_headers.py and
-- miners/git_log_parser.py). Empty for an ordinary commit; NULL for one mined before this column.
ALTER TABLE commits ADD COLUMN oddities VARCHAR[];
