"""Verification by execution: a task's acceptance tests run in a git worktree, before and after."""
