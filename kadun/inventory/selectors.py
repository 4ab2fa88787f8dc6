from __future__ import annotations

from django.db.models import Count, IntegerField, Q, Subquery

from kadun.inventory import crypto
from kadun.inventory.models import CardKey, ImportBatch, Reveal, VerificationReport
from kadun.inventory.states import KeyStatus


def stock_subquery(*, product) -> Subquery:
    """The available keys of ``product`` (an ``OuterRef`` to a product's id) as a subquery, to
    annotate products with (NULL when none: wrap it in ``Coalesce``)."""
    available = (
        CardKey.objects.filter(product=product, status=KeyStatus.AVAILABLE)
        .order_by()
        .values("product")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Subquery(available, output_field=IntegerField())


def stock_counts(product_ids: list[int]) -> dict[int, int]:
    """Available keys per product, for the products that have any, in one query."""
    return dict(
        CardKey.objects.filter(product__in=product_ids, status=KeyStatus.AVAILABLE)
        .order_by().values_list("product").annotate(n=Count("id"))
    )


def stock_count(product_id: int) -> int:
    return CardKey.objects.filter(product_id=product_id, status=KeyStatus.AVAILABLE).count()


def in_stock(product_id: int, quantity: int) -> bool:
    """At least ``quantity`` keys available: the index finds the quantity-th one and stops,
    where counting them all reads the product's whole stock."""
    return CardKey.objects.filter(product_id=product_id, status=KeyStatus.AVAILABLE).order_by("id")[quantity - 1 : quantity].exists()


def keys_of_order(order) -> list[dict]:
    """Keys of an order, masked, with their first-reveal time and status (sold, or withdrawn:
    refunded / replaced). Never the plaintext."""
    out = []
    for index, key in enumerate(CardKey.objects.filter(order=order).order_by("id"), start=1):
        out.append({
            "id": key.pk, "index": index, "masked": crypto.mask(crypto.decrypt(key.secret)),
            "first_revealed_at": key.first_revealed_at, "status": key.status, "withdrawn_reason": key.withdrawn_reason,
            "active": key.status == KeyStatus.SOLD,
        })
    return out


def active_keys_of_order(order):
    return CardKey.objects.filter(order=order, status=KeyStatus.SOLD).order_by("id")


def keys_of_order_by_ids(order, key_ids):
    """The order's keys among ``key_ids`` (any status; ids of other orders' keys find nothing)."""
    return CardKey.objects.filter(order=order, pk__in=key_ids)


def verifications_of(order):
    return VerificationReport.objects.filter(order=order).select_related("key")


def used_before_first_reveal(order, key_ids) -> dict[int, object]:
    """Keys a checker found already used before the buyer first saw them — proof a used key was
    sold — with the time of the earliest such answer. A report is trusted only if it is marked
    so and was checked before the key's first reveal (a report stored otherwise proves nothing)."""
    from django.db.models import F, Min

    reports = VerificationReport.objects.filter(order=order, key_id__in=key_ids, result="used", before_first_reveal=True).filter(
        Q(key__first_revealed_at__isnull=True) | Q(checked_at__lt=F("key__first_revealed_at"))
    )
    return dict(reports.values("key_id").annotate(at=Min("checked_at")).values_list("key_id", "at"))


def reveals_of_order(order):
    return Reveal.objects.filter(order=order).select_related("key")


def import_batches_of(*, shop):
    return ImportBatch.objects.filter(shop=shop).select_related("product").order_by("-id")


def units_handed_by_order() -> dict[int, int]:
    """Per order, the units of stock handed over: keys still with the buyer plus keys refunded
    (withdrawn for a refund). Replaced keys are not units: their replacement is."""
    from kadun.inventory.services import REFUND_REASONS

    handed = CardKey.objects.filter(Q(status=KeyStatus.SOLD) | Q(status=KeyStatus.WITHDRAWN, withdrawn_reason__in=REFUND_REASONS))
    return {row["order_id"]: row["n"] for row in handed.values("order_id").annotate(n=Count("id"))}


def key_invariants(report) -> None:
    """Reveals against withdrawals: a key is never shown after it was taken back, and a refund
    granted because a key was never revealed is never a refund of a revealed key.

    - no reveal logged at or after its key's withdrawal;
    - a key withdrawn as "refunded unrevealed" has no first reveal and no reveal log row;
    - a withdrawn key has its time and reason, a sold key neither."""
    from django.db.models import F

    from kadun.inventory.services import WITHDRAWN_UNREVEALED

    report.checked["keys"] = CardKey.objects.count()
    report.checked["reveals"] = Reveal.objects.count()
    late = Reveal.objects.filter(key__withdrawn_at__isnull=False, at__gte=F("key__withdrawn_at")).values_list("key_id", "order_id")[:50]
    for key_id, order_id in late:
        report.problems.append(f"key #{key_id} (order #{order_id}) revealed at or after its withdrawal")
    unrevealed = CardKey.objects.filter(withdrawn_reason=WITHDRAWN_UNREVEALED)
    for key_id, order_id in unrevealed.filter(first_revealed_at__isnull=False).values_list("id", "order_id")[:50]:
        report.problems.append(f"key #{key_id} (order #{order_id}) refunded as unrevealed but was revealed")
    for key_id, order_id in unrevealed.filter(reveals__isnull=False).distinct().values_list("id", "order_id")[:50]:
        report.problems.append(f"key #{key_id} (order #{order_id}) refunded as unrevealed but has a reveal log")
    broken = CardKey.objects.filter(status=KeyStatus.WITHDRAWN).filter(Q(withdrawn_at__isnull=True) | Q(withdrawn_reason=""))
    for key_id, order_id in broken.values_list("id", "order_id")[:50]:
        report.problems.append(f"key #{key_id} (order #{order_id}) withdrawn without time or reason")
    for key_id, order_id in CardKey.objects.exclude(status=KeyStatus.WITHDRAWN).filter(withdrawn_at__isnull=False).values_list("id", "order_id")[:50]:
        report.problems.append(f"key #{key_id} (order #{order_id}) has a withdrawal time but is not withdrawn")
    _verification_invariants(report)


def _verification_invariants(report) -> None:
    """A 验货 report marked "before the first reveal" was checked before it: the refund engine
    pays a 卡密无效 request at once on such a report."""
    from django.db.models import F

    report.checked["verifications"] = VerificationReport.objects.count()
    late = VerificationReport.objects.filter(
        before_first_reveal=True, key__first_revealed_at__isnull=False, checked_at__gte=F("key__first_revealed_at")
    )
    for report_id, key_id, order_id in late.values_list("id", "key_id", "order_id")[:50]:
        report.problems.append(
            f"verification #{report_id} of key #{key_id} (order #{order_id}) marked before the first reveal but checked at or after it"
        )


def quarantined_lines(ids):
    """Quarantined import lines (risk staff): who tried, who holds the key, the fingerprint —
    never a plaintext, which was never stored."""
    from kadun.inventory.models import QuarantinedKey

    return QuarantinedKey.objects.filter(pk__in=list(ids)).select_related("shop", "owner_shop", "product").order_by("id")
