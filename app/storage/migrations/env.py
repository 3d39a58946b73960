"""Alembic environment: migrations run in code, on the connection the program opened."""

from alembic import context
from sqlalchemy import Connection

from app.storage.models import Base

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the program always passes its connection
    raise RuntimeError("migrations run through app.storage.db.migrate()")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
