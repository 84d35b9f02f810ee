"""Insert many rows without building model instances: COPY on PostgreSQL, one executemany on SQLite.

Django's bulk_create spends most of its time compiling each value through the field (a million time entries
took minutes); bulk loads of time (`tasks/entries.record_many`) and of its kept totals (`tasks/totals`) hand
plain tuples here instead. Values are what the fields hold in Python; on SQLite moments, dates and money are
turned into the same text Django stores, the rest pass as they are.

With `check_keys_now`, PostgreSQL checks the copied rows' foreign keys as the COPY ends instead of at COMMIT:
Django declares them DEFERRABLE INITIALLY DEFERRED, and a deferred check is queued per row and key until the
transaction ends (a 100k-row import queued half a million and spent a third more on them). Only for a caller
that already holds the locks of the rows referred to (an import locks its tasks and users first): the check
takes a key-share lock on each, and a caller that asked for FOR UPDATE on them afterwards could deadlock with
another. Switching the table's keys to IMMEDIATE also checks, then, what the caller queued on them earlier in
the transaction, and they go back to DEFERRED afterwards."""

from datetime import UTC

from django.db import connection, models


def insert_rows(model, columns, rows, *, check_keys_now=False):
    """Insert `rows` (tuples of values in `columns` order, attribute names such as "task_id"); returns how
    many. Database errors (a unique constraint) come wrapped as Django's, like the ORM's. `check_keys_now`:
    see the module's docstring."""
    rows = list(rows)
    if not rows:
        return 0
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    names = ", ".join(ops.quote_name(model._meta.get_field(name).column) for name in columns)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if connection.vendor == "postgresql":
            deferred = _deferred_keys(cursor, model._meta.db_table) if check_keys_now else ""
            if deferred:
                cursor.execute(f"SET CONSTRAINTS {deferred} IMMEDIATE")
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            if deferred:
                cursor.execute(f"SET CONSTRAINTS {deferred} DEFERRED")
        else:
            adapters = [(i, adapt) for i, name in enumerate(columns) if (adapt := _sqlite(model, name))]
            prepared = []
            for row in rows:
                row = list(row)
                for i, adapt in adapters:
                    if row[i] is not None:
                        row[i] = adapt(row[i])
                prepared.append(row)
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", prepared)
    return len(rows)


def _deferred_keys(cursor, table):
    """The table's deferrable constraints that start deferred, quoted for SET CONSTRAINTS ("" if none)."""
    cursor.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND condeferrable AND condeferred",
        [connection.ops.quote_name(table)],
    )
    return ", ".join(connection.ops.quote_name(name) for (name,) in cursor.fetchall())


def _sqlite(model, name):
    """How SQLite needs a column's values, or None when they pass as they are."""
    field, ops = model._meta.get_field(name), connection.ops
    if isinstance(field, models.DateTimeField):
        return _moment()
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.DecimalField):
        # Rates and amounts repeat across a load: each distinct value is formatted once.
        seen = {}

        def money(value):
            text = seen.get(value)
            if text is None:
                if len(seen) > 10000:
                    seen.clear()
                text = seen[value] = ops.adapt_decimalfield_value(
                    value, field.max_digits, field.decimal_places
                )
            return text

        return money
    return None


def _moment():
    """Django's adapter for moments, or a faster one giving the same text when the connection keeps UTC (the
    default) and the moment is in UTC already, as the write path's are."""
    slow = connection.ops.adapt_datetimefield_value
    if connection.timezone_name != "UTC":
        return slow

    last = [None, None]  # the created_at / updated_at of a bulk load repeat on every row: adapt them once

    def fast(value):
        if value is last[0]:
            return last[1]
        # str() of a UTC moment is Django's text plus "+00:00", which slicing drops (quicker than replace()).
        last[:] = value, str(value)[:-6] if value.tzinfo is UTC else slow(value)
        return last[1]

    return fast


def delete_rows(model, ids, *, chunk=5000):
    """Delete the rows with these ids without loading them (the caller has dealt with what cascades and with
    history); returns how many."""
    ids = list(ids)
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.pk.column)
    deleted = 0
    with connection.cursor() as cursor, connection.wrap_database_errors:
        for first in range(0, len(ids), chunk):
            part = ids[first : first + chunk]
            cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({', '.join(['%s'] * len(part))})", part)
            deleted += cursor.rowcount
    return deleted
