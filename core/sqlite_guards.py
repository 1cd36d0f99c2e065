"""SQLite's side of the database guards on signed records (plans' and notes').

On SQLite the guard triggers would refuse the very changes a migration makes, so each app's are
dropped before every migrate and put back after it, once all the tables they guard exist.
PostgreSQL's guards are installed by migrations and stay.
"""

from collections.abc import Callable, Iterable

from django.db import connections


def drop_triggers(cursor, like: str) -> None:
    """Drop every trigger whose name matches the SQL LIKE pattern `like`."""
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s", [like])
    for (name,) in cursor.fetchall():
        cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')


def migrate_hooks(
    *, drop: Callable[[object], None], install: Callable[[object], None], needed_tables: Iterable[str]
) -> tuple[Callable[..., None], Callable[..., None]]:
    """The pre_migrate and post_migrate receivers that drop an app's SQLite guards and put them back."""
    needed = set(needed_tables)

    def before_migrate(sender, using="default", **kwargs) -> None:
        connection = connections[using]
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                drop(cursor)

    def after_migrate(sender, using="default", **kwargs) -> None:
        connection = connections[using]
        if connection.vendor != "sqlite":
            return
        if needed <= set(connection.introspection.table_names()):
            with connection.cursor() as cursor:
                install(cursor)

    return before_migrate, after_migrate
