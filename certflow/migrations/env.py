"""Alembic environment: runs against the engine certflow hands over (see certflow.engine.db)."""

from alembic import context

from certflow.schema import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    context.run_migrations()
