"""违规 / 处罚 reads: active warnings, bans, the staff queues, a shop's record, and the merchants'
figures the credit score reads (breaches, days open)."""
from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q

from kadun.core import clock
from kadun.merchants.models import Breach, Shop
from kadun.merchants.models_penalties import Penalty, PenaltyAppeal
from kadun.merchants.penalty_rules import Level, PenaltyStatus
from kadun.merchants.penalties_errors import PenaltyNotFound

P = PenaltyStatus


def warnings_active(shop_id: int, *, days: int = 365) -> int:
    """Confirmed warnings (警告) of the shop within the last ``days``."""
    since = clock.now() - dt.timedelta(days=days)
    return Penalty.objects.filter(shop_id=shop_id, status=P.CONFIRMED, level=Level.WARNING, decided_at__gte=since).count()


def is_banned(shop_id: int) -> bool:
    return Penalty.objects.filter(shop_id=shop_id, status=P.CONFIRMED, level=Level.BAN).exists()


def confirmed_since(shop_id: int, since: dt.datetime) -> int:
    """Confirmed penalties (warnings or bans) decided since ``since``: the 二次 of 二次封号."""
    return Penalty.objects.filter(shop_id=shop_id, status=P.CONFIRMED, decided_at__gte=since).count()


def warnings_by_shop(shop_ids, *, days: int) -> dict[int, int]:
    since = clock.now() - dt.timedelta(days=days)
    rows = Penalty.objects.filter(shop_id__in=list(shop_ids), status=P.CONFIRMED, level=Level.WARNING, decided_at__gte=since)
    return dict(rows.values("shop_id").annotate(n=Count("id")).values_list("shop_id", "n"))


def breaches_by_shop(shop_ids, *, since: dt.datetime) -> dict[int, int]:
    rows = Breach.objects.filter(shop_id__in=list(shop_ids), at__gte=since)
    return dict(rows.values("shop_id").annotate(n=Count("id")).values_list("shop_id", "n"))


def services_overdue_by_shop(shop_ids, *, since: dt.datetime) -> dict[int, int]:
    rows = Breach.objects.filter(shop_id__in=list(shop_ids), kind="service_overdue", at__gte=since)
    return dict(rows.values("shop_id").annotate(n=Count("id")).values_list("shop_id", "n"))


def shops_opened(shop_ids) -> dict[int, dt.datetime]:
    return dict(Shop.objects.filter(pk__in=list(shop_ids)).values_list("pk", "created_at"))


def shop_ids_chunks(size: int):
    """Every shop's id, in chunks of ``size`` (keyset, for the nightly recompute)."""
    last = 0
    while True:
        ids = list(Shop.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return
        yield ids
        last = ids[-1]


def breaches_of(shop_id: int, *, kinds, since: dt.datetime) -> list[Breach]:
    return list(Breach.objects.filter(shop_id=shop_id, kind__in=list(kinds), at__gte=since).order_by("at", "id"))


def penalty_get(penalty_id: int) -> Penalty:
    penalty = Penalty.objects.select_related("shop", "decided_by", "proposed_by").filter(pk=penalty_id).first()
    if penalty is None:
        raise PenaltyNotFound()
    return penalty


def penalty_of_shop(*, shop_id: int, penalty_id: int) -> Penalty:
    penalty = Penalty.objects.filter(pk=penalty_id, shop_id=shop_id).exclude(status=P.PROPOSED).first()
    if penalty is None:
        raise PenaltyNotFound()
    return penalty


def penalties_of_shop(shop_id: int):
    """What the merchant sees: confirmed, dismissed and overturned penalties (proposals are
    internal until decided), newest first, with the appeal if any."""
    return Penalty.objects.filter(shop_id=shop_id).exclude(status=P.PROPOSED).select_related("appeal").order_by("-created_at", "-id")


def warnings_on_record(shop_id: int, *, days: int):
    """Confirmed penalties shown on the shop's public pages for ``days`` (12 months)."""
    since = clock.now() - dt.timedelta(days=days)
    return Penalty.objects.filter(shop_id=shop_id, status=P.CONFIRMED, decided_at__gte=since).order_by("-decided_at")


def proposed_queue():
    return Penalty.objects.filter(status=P.PROPOSED).select_related("shop").order_by("id")


def recently_decided(limit: int = 50):
    return Penalty.objects.exclude(status=P.PROPOSED).select_related("shop", "decided_by").order_by("-decided_at", "-id")[:limit]


def appeals_queue(*, staff):
    """Open appeals this staff member may decide: never one of a penalty they confirmed."""
    return (PenaltyAppeal.objects.filter(status="open").exclude(penalty__decided_by=staff)
            .select_related("penalty", "penalty__shop", "penalty__decided_by").order_by("filed_at", "id"))


def events_of(penalty: Penalty):
    return penalty.events.select_related("actor").order_by("at", "id")


def bans_due(now: dt.datetime):
    return Penalty.objects.filter(Q(status=P.CONFIRMED, level=Level.BAN, settled_at__isnull=True, ban_settles_at__lte=now))


def shop_public(shop_id: int) -> Shop | None:
    """A shop for its public pages (banned or inactive shops too: their record stays public)."""
    return Shop.objects.filter(pk=shop_id).first()
