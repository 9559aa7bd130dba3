"""Database access: the ORM tables, the engine and the managed session."""

from backend.db.engine import Database

__all__ = ["Database"]
