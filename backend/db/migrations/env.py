"""Alembic environment: runs on the connection Greenlight hands over, inside the transaction that
holds the schema lock (see Database.upgrade), or else on its engine."""

from alembic import context

from backend.db.tables import Base

config = context.config


def render_item(type_, obj, autogen_context):
    # Migrations must not import application types: write UTCDateTime as a plain DateTime.
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                      render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()


if "connection" in config.attributes:
    _run(config.attributes["connection"])  # the caller commits, releasing the lock
else:
    with config.attributes["engine"].connect() as connection:
        _run(connection)
        connection.commit()
