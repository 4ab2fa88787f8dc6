"""RefundRequest.shop: the order's shop, copied onto the request so a merchant's queue and history
are read by shop with an index, without joining orders. Existing requests get their order's shop."""
import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_shop(apps, schema_editor):
    RefundRequest = apps.get_model("aftersales", "RefundRequest")
    Order = apps.get_model("orders", "Order")
    RefundRequest.objects.update(shop_id=Subquery(Order.objects.filter(pk=OuterRef("order_id")).values("shop_id")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ("aftersales", "0001_initial"),
        ("merchants", "0002_breach"),
        ("orders", "0002_order_milestone_order_no_reason_waived_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="refundrequest",
            name="shop",
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="refund_requests", to="merchants.shop"),
        ),
        migrations.RunPython(copy_shop, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="refundrequest",
            name="shop",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="refund_requests", to="merchants.shop"),
        ),
        migrations.AddIndex(
            model_name="refundrequest",
            index=models.Index(fields=["shop", "-id"], name="refund_shop_recent"),
        ),
        migrations.AddIndex(
            model_name="refundrequest",
            index=models.Index(condition=models.Q(("status__in", ["awaiting_merchant", "awaiting_replacement"])),
                               fields=["shop"], name="refund_shop_open"),
        ),
    ]
