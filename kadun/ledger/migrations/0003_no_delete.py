from django.db import migrations

PG = """
CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_journalentry FOR EACH ROW EXECUTE FUNCTION kadun_ledger_immutable();
CREATE TRIGGER ledger_posting_no_delete BEFORE DELETE ON ledger_posting FOR EACH ROW EXECUTE FUNCTION kadun_ledger_immutable();
"""


def no_delete(apps, schema_editor):
    """PostgreSQL refuses DELETE on the ledger too (TRUNCATE, used by test flushes, is not a row
    delete). On SQLite test flushes delete rows, so there `ledger-check` is the guard."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_immutable_and_platform_accounts")]
    operations = [migrations.RunPython(no_delete, migrations.RunPython.noop)]
