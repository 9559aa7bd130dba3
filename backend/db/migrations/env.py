"""Alembic environment: runs on the engine Greenlight hands over (see Database.upgrade)."""

from alembic import context

from backend.db.tables import Base

config = context.config
engine = config.attributes["engine"]



def render_item(type_, obj, autogen_context):
    # Migrations must not import application types: write UTCDateTime as a plain DateTime.
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                      render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
