from django.core.management import call_command
from django.db import migrations


def cache_table(apps, schema_editor):
    """The default cache (rate limits) lives in the database, shared by every web process."""
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    operations = [migrations.RunPython(cache_table, migrations.RunPython.noop)]
