"""店铺档案 on other apps' pages, one tag line each: ``{% load record %}{% shop_record shop.pk %}``
on the shop page (the full record) and ``{% shop_record_headline product.shop_id %}`` on the
product page, which is also the checkout form."""
from django import template

from kadun.reputation import record as defs
from kadun.reputation import selectors, selectors_record

register = template.Library()


@register.inclusion_tag("reputation/_record.html")
def shop_record(shop_id):
    rec = selectors_record.shop_record(int(shop_id), with_others=False)
    return {"rec": rec, "rows": selectors_record.rows_of(rec), "defs": defs.definitions(),
            "chart": selectors.history_svg_points(rec["history"]) if len(rec["history"]) > 1 else None,
            "history": rec["history"], "ratings": selectors_record.ratings_chart(rec["monthly"])}


@register.inclusion_tag("reputation/_record_headline.html")
def shop_record_headline(shop_id):
    rec = selectors_record.headline(int(shop_id))
    rows = {r["key"]: r for r in selectors_record.rows_of(rec) if r["key"] in ("age", "confirmed", "bad_rate", "refund_rate")}
    rows["confirmed"]["value"] = str(rec["confirmed_short"])
    return {"rec": rec, "rows": rows, "defs": defs.definitions()}
