"""The health check: whether the database answers, and has been migrated."""


def migrated(db):
    """Read the migrations table; raises sqlite3.Error when the database cannot answer."""
    db.execute("select 1 from _sqlite_migrations limit 1").fetchall()
