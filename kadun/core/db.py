from django.db import connection


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def update_each(model, field: str, values: dict[int, int], *, add: bool = False, where: dict | None = None, **also) -> int:
    """One UPDATE giving each row (by primary key) its own integer value for ``field`` — or adding
    it to the field with ``add`` — for the sweeper's batches. ``also`` sets further columns to one
    value for all the rows; ``where`` adds equality conditions (``{"status": "delivered"}``).
    Returns the rows updated.

    ``WITH v AS (VALUES ...) UPDATE ... FROM v``: the same SQL on PostgreSQL and SQLite (3.33+),
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
    for name, value in (where or {}).items():
        f = model._meta.get_field(name)
        conditions.append(f"{table}.{qn(f.column)} = %s")
        where_params.append(f.get_db_prep_value(value, connection))
    sql = (f"WITH v (id, val) AS (VALUES {rows}) UPDATE {table} SET {', '.join(sets)} FROM v "
           f"WHERE {' AND '.join(conditions)}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params + set_params + where_params)
        return cursor.rowcount
