"""Sync: pure planner and matcher, plus the runners (backfill, live) that drive the clients."""
