"""Alembic environment and the core's migration history."""
