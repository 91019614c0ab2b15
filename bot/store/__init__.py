"""Storage: one aiosqlite connection per process, migrations from db/, small query functions."""

from bot.store.database import Database, utcnow

__all__ = ["Database", "utcnow"]
