"""Storage of the clinic's record: SQLAlchemy models, Alembic migrations, imports and edits.

An adapter over the core: rows are translated into domain objects
(:mod:`pseudoprog.store.records`) and every lesion's status is computed by the same engines
as the CLI (:mod:`pseudoprog.store.status`).
"""

from __future__ import annotations

from pseudoprog.store.database import DEFAULT_URL, Database, check_url
from pseudoprog.store.migrate import current_revision, head_revision, upgrade

__all__ = ["DEFAULT_URL", "Database", "check_url", "current_revision", "head_revision", "upgrade"]
