"""Keeping things: the SQLite database, its models and Alembic migrations, entries with their revisions
and audit log, the form service the window edits through, and atomic file writes."""
