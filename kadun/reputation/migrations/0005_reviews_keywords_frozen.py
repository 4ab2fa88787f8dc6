"""Reviews: the risk keywords found in each review, and the triggers that keep reviews unedited and undeleted."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reputation', '0004_shop_record'),
    ]

    operations = [
        migrations.AddField(
            model_name='review',
            name='keywords',
            field=models.JSONField(blank=True, default=list, help_text='risk keywords (canonical phrases) in text + follow-up'),
        ),
    ]


# Nobody edits or deletes a review (电子商务法 §39), in the database too: an UPDATE that changes a
# frozen column is refused, and so is one that changes a follow-up or a reply once it is set; audit
# rows refuse any UPDATE. PostgreSQL also refuses DELETE of both (test flushes TRUNCATE); SQLite
# test flushes delete rows, so there the models' and querysets' delete() are the guard, as for
# complaints and the ledger.
FROZEN = ("order_id", "shop_id", "product_id", "buyer_id", "rating", "text", "image", "image_sha256", "created_at")
ONCE = (("followup_at", ("followup_text", "followup_at")), ("reply_at", ("reply_text", "reply_at")),
        ("followup_reply_at", ("followup_reply_text", "followup_reply_at")))


def _pg_changed() -> str:
    parts = [f"ROW({', '.join('NEW.' + c for c in FROZEN)}) IS DISTINCT FROM ROW({', '.join('OLD.' + c for c in FROZEN)})"]
    for at, cols in ONCE:
        parts.append(f"(OLD.{at} IS NOT NULL AND ROW({', '.join('NEW.' + c for c in cols)}) IS DISTINCT FROM ROW({', '.join('OLD.' + c for c in cols)}))")
    return " OR ".join(parts)


def _sqlite_changed() -> str:
    parts = [f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN]
    for at, cols in ONCE:
        parts.append(f"(OLD.{at} IS NOT NULL AND ({' OR '.join(f'NEW.{c} IS NOT OLD.{c}' for c in cols)}))")
    return " OR ".join(parts)


PG = f"""
CREATE OR REPLACE FUNCTION kadun_reputation_review_frozen() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'reviews are never deleted'; END IF;
  IF {_pg_changed()} THEN RAISE EXCEPTION 'reputation_review: a review is never edited'; END IF;
  RETURN NEW;
END; $$ LANGUAGE plpgsql;
CREATE TRIGGER reputation_review_frozen BEFORE UPDATE OR DELETE ON reputation_review FOR EACH ROW EXECUTE FUNCTION kadun_reputation_review_frozen();
CREATE OR REPLACE FUNCTION kadun_reputation_reviewaudit_immutable() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'review audit rows are immutable'; END; $$ LANGUAGE plpgsql;
CREATE TRIGGER reputation_reviewaudit_immutable BEFORE UPDATE OR DELETE ON reputation_reviewaudit
  FOR EACH ROW EXECUTE FUNCTION kadun_reputation_reviewaudit_immutable();
"""


def frozen(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG)
    elif vendor == "sqlite":
        schema_editor.execute(f"CREATE TRIGGER reputation_review_frozen BEFORE UPDATE ON reputation_review WHEN {_sqlite_changed()} "
                              "BEGIN SELECT RAISE(ABORT, 'reputation_review: a review is never edited'); END;")
        schema_editor.execute("CREATE TRIGGER reputation_reviewaudit_immutable BEFORE UPDATE ON reputation_reviewaudit "
                              "BEGIN SELECT RAISE(ABORT, 'review audit rows are immutable'); END;")


Migration.operations.append(migrations.RunPython(frozen, migrations.RunPython.noop))
