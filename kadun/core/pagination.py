"""Keyset pages for lists that grow without bound (orders, refund requests): newest first, by
id. No COUNT(*) and no OFFSET, so a page costs the same on a million rows as on ten."""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode


@dataclass
class KeysetPage:
    items: list = field(default_factory=list)
    newer_than: int | None = None  # pass as ``after`` to get the page of newer rows
    older_than: int | None = None  # pass as ``before`` to get the page of older rows

    def urls(self, filters: dict | None = None) -> dict[str, str | None]:
        """Links for the pager: the newest page, newer rows, older rows (None when there are none)."""
        filters = {k: v for k, v in (filters or {}).items() if v}
        return {
            "first_url": "?" + urlencode(filters) if filters else "?",
            "newer_url": "?" + urlencode({**filters, "after": self.newer_than}) if self.newer_than is not None else None,
            "older_url": "?" + urlencode({**filters, "before": self.older_than}) if self.older_than is not None else None,
        }


def id_param(request, name: str) -> int | None:
    """A ``before``/``after`` id from the query string; anything but a plain number is ignored."""
    value = request.GET.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


def keyset_page(qs, *, before: int | None = None, after: int | None = None, size: int = 50) -> KeysetPage:
    """One page of ``qs`` (any filters; its ordering is replaced by the id, newest first). Fetches
    ``size + 1`` rows to learn whether there is a next page, and at most one EXISTS query for the
    other direction."""
    page = KeysetPage()
    if after is not None:
        rows = list(qs.filter(pk__gt=after).order_by("pk")[: size + 1])
        page.items = rows[:size][::-1]
        if len(rows) > size:
            page.newer_than = page.items[0].pk
        if qs.filter(pk__lte=after).exists():
            page.older_than = page.items[-1].pk if page.items else after + 1
        return page
    rows = list((qs.filter(pk__lt=before) if before is not None else qs).order_by("-pk")[: size + 1])
    page.items = rows[:size]
    if len(rows) > size:
        page.older_than = page.items[-1].pk
    if before is not None and qs.filter(pk__gte=before).exists():
        page.newer_than = page.items[0].pk if page.items else before - 1
    return page
