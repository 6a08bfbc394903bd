"""State store: links, shadow values, cursors, queue, dead letters, audit (SQLAlchemy Core)."""
