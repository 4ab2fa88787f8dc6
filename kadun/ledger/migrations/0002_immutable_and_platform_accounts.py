from django.db import migrations

PG = """
CREATE OR REPLACE FUNCTION kadun_ledger_immutable() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'ledger rows are immutable'; END; $$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_entry_immutable BEFORE UPDATE ON ledger_journalentry FOR EACH ROW EXECUTE FUNCTION kadun_ledger_immutable();
CREATE TRIGGER ledger_posting_immutable BEFORE UPDATE ON ledger_posting FOR EACH ROW EXECUTE FUNCTION kadun_ledger_immutable();
"""
SQLITE = [
    "CREATE TRIGGER ledger_entry_immutable BEFORE UPDATE ON ledger_journalentry BEGIN SELECT RAISE(ABORT, 'ledger rows are immutable'); END;",
    "CREATE TRIGGER ledger_posting_immutable BEFORE UPDATE ON ledger_posting BEGIN SELECT RAISE(ABORT, 'ledger rows are immutable'); END;",
]


def immutable(apps, schema_editor):
    """Journal entries and postings refuse UPDATE in the database itself, not only in Python."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG)
    elif schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE:
            schema_editor.execute(sql)


def platform_accounts(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    for code, kind, floor in (
        ("platform:fees", "fees", False),
        ("platform:insurance_pool", "insurance_pool", True),
        ("platform:advance", "advance", False),
    ):
        Account.objects.get_or_create(code=code, defaults={"kind": kind, "floor": floor})


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [
        migrations.RunPython(immutable, migrations.RunPython.noop),
        migrations.RunPython(platform_accounts, migrations.RunPython.noop),
    ]
