from django.db import connection
from django.utils.dateparse import parse_datetime


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def update_each(
    model, field: str, values: dict[int, int], *, add: bool = False, where: dict | None = None, where_not_in: dict | None = None, **also
) -> int:
    """One UPDATE giving each row (by primary key) its own integer value for ``field`` — or adding
    it to the field with ``add`` — for the sweeper's batches. ``also`` sets further columns to one
    value for all the rows; ``where`` adds conditions as lookups — equality, ``__in`` and
    ``__isnull`` (what ``Transition.where()`` gives: ``{"status__in": [...], "refund_hold": False}``).
    ``where_not_in`` adds ``column NOT IN (subquery)`` conditions from ``{field: queryset}`` (a
    guard read at the moment of the update, e.g. the frozen shops). Returns the rows updated.

    ``UPDATE ... FROM (VALUES ...)``: the same SQL on PostgreSQL and SQLite (3.33+),
    and a fraction of the Python an ORM ``Case(When(...))`` of hundreds of branches costs."""
    if not values:
        return 0
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    column = qn(model._meta.get_field(field).column)
    pk = qn(model._meta.pk.column)
    rows = ", ".join(["(CAST(%s AS bigint), CAST(%s AS bigint))"] * len(values))
    params: list = [x for item in values.items() for x in item]
    sets = [f"{column} = {table}.{column} + v.val" if add else f"{column} = v.val"]
    set_params: list = []
    for name, value in also.items():
        f = model._meta.get_field(name)
        sets.append(f"{qn(f.column)} = %s")
        set_params.append(f.get_db_prep_save(value, connection))
    conditions, where_params = [f"{table}.{pk} = v.id"], []
    for lookup, value in (where or {}).items():
        name, _, op = lookup.partition("__")
        f = model._meta.get_field(name)
        where_column = f"{table}.{qn(f.column)}"
        if op == "isnull":
            conditions.append(f"{where_column} IS {'' if value else 'NOT '}NULL")
        elif op == "in":
            values_in = list(value)
            conditions.append(f"{where_column} IN ({', '.join(['%s'] * len(values_in))})" if values_in else "1 = 0")
            where_params += [f.get_db_prep_value(v, connection) for v in values_in]
        elif not op:
            conditions.append(f"{where_column} = %s")
            where_params.append(f.get_db_prep_value(value, connection))
        else:
            raise ValueError(f"update_each: unsupported lookup {lookup!r}")
    for name, queryset in (where_not_in or {}).items():
        sub_sql, sub_params = queryset.query.get_compiler(connection=connection).as_sql()
        conditions.append(f"{table}.{qn(model._meta.get_field(name).column)} NOT IN ({sub_sql})")
        where_params += list(sub_params)
    # Not ``WITH v AS (VALUES …) UPDATE``: Python's sqlite3 reports no rowcount (-1) for a
    # statement that does not begin with UPDATE, and callers check the count.
    sql = (f"UPDATE {table} SET {', '.join(sets)} FROM (SELECT x.column1 AS id, x.column2 AS val FROM (VALUES {rows}) AS x) AS v "
           f"WHERE {' AND '.join(conditions)}")
    with connection.cursor() as cursor:
        cursor.execute(sql, set_params + params + where_params)
        return cursor.rowcount


def datetime_from_db(value):
    """A datetime column as a raw cursor returns it, aware. PostgreSQL gives an aware datetime;
    SQLite a naive one in UTC (Django's converter) or, without it, text."""
    import datetime as dt

    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value
