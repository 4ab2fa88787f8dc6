"""/transparency/: the log in public — the page, and the JSON monitors and auditors fetch.

No login, read-only, GET only. Bad input answers ``{"code","message"}`` with a 4xx and changes
nothing. What can never change (a head of a given size, a proof between given sizes) is
cacheable for a year; what moves (the latest head, an entry waiting for its proof) for seconds.
Every JSON request counts against ``KADUN_TRANSPARENCY_RATE`` per client address.
"""
from __future__ import annotations

import math
import re

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django_ratelimit.core import get_usage

from kadun.core.errors import DomainError, InvalidInput, RateLimited
from kadun.evidence import selectors
from kadun.evidence.errors import EntryNotFound, EntryNotIntegrated, HeadNotFound, InvalidTreeSize

FOREVER = "public, max-age=31536000, immutable"
SHORT = "public, max-age=10"
PAGE = 100
LEAVES_MAX = 1000
_NUMBER = re.compile(r"[0-9]{1,15}")


def _number(value: str | None, error: type[DomainError] = InvalidInput) -> int:
    if value is None or not _NUMBER.fullmatch(value):
        raise error()
    return int(value)


def _json(data, *, cache: str = SHORT, status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False}, safe=False)
    response["Cache-Control"] = cache if status == 200 else "no-store"
    response["Access-Control-Allow-Origin"] = "*"  # public data: any monitor's page may fetch it
    return response


def _limited(request) -> JsonResponse | None:
    usage = get_usage(request, group="transparency", key="ip", rate=settings.KADUN_TRANSPARENCY_RATE, increment=True)
    if not usage or not usage["should_limit"]:
        return None
    seconds = max(1, math.ceil(usage["time_left"]))
    response = _json({"code": RateLimited.code, "message": RateLimited.message}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def endpoint(view):
    """GET only, rate-limited, DomainError → its JSON answer."""

    @require_GET
    def wrapped(request, *args, **kwargs):
        limited = _limited(request)
        if limited is not None:
            return limited
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            return _json(exc.as_dict(), status=exc.status)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@require_GET
def page(request):
    heads = selectors.heads_page(limit=10)
    return render(request, "evidence/transparency.html", {
        "heads": heads,
        "keys": selectors.public_keys()["keys"],
        "log_id": settings.KADUN_EVIDENCE_LOG_ID,
        "merge_delay": settings.KADUN_EVIDENCE_MERGE_DELAY_SECONDS,
        "sign_interval": settings.KADUN_EVIDENCE_SIGN_INTERVAL_SECONDS,
        "tsa": bool(settings.KADUN_EVIDENCE_TSA_URL),
    })


@endpoint
def keys(request):
    return _json(selectors.public_keys(), cache="public, max-age=300")


@endpoint
def head_latest(request):
    head = selectors.latest_head()
    if head is None:
        raise HeadNotFound()
    return _json(head)


@endpoint
def heads(request):
    """Signed heads, newest first, ``PAGE`` at a time; ``?before=<tree_size>`` for the next page."""
    before = request.GET.get("before")
    rows = selectors.heads_page(before=None if before is None else _number(before, InvalidTreeSize), limit=PAGE + 1)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    nxt = f"{request.path}?before={rows[-1]['tree_size']}" if more else None
    return _json({"log": settings.KADUN_EVIDENCE_LOG_ID, "heads": rows, "next": nxt})


@endpoint
def head_of_size(request, size: str):
    head = selectors.head_of_size(_number(size, InvalidTreeSize))
    if head is None:
        raise HeadNotFound()
    return _json(head, cache=FOREVER)


def _entry(entry_id: str):
    entry = selectors.entry_get(_number(entry_id, EntryNotFound))
    if entry is None:
        raise EntryNotFound()
    return entry


@endpoint
def proof_inclusion(request, entry_id: str):
    entry = _entry(entry_id)
    raw = request.GET.get("tree_size")
    size = None if raw in (None, "") else _number(raw, InvalidTreeSize)
    if size is not None and not 0 < size <= selectors.integrated_size():
        raise InvalidTreeSize()
    proof = selectors.inclusion_proof(entry, size)
    if proof is None:
        raise EntryNotIntegrated()
    return _json(proof, cache=FOREVER if size is not None else SHORT)


@endpoint
def proof_consistency(request):
    first = _number(request.GET.get("first"), InvalidTreeSize)
    second = _number(request.GET.get("second"), InvalidTreeSize)
    return _json(selectors.consistency_proof(first, second), cache=FOREVER)


@endpoint
def entry(request, entry_id: str):
    """The leaf document, its hash and, while pending, the signed promise; once under a signed
    head, the inclusion proof in the latest head."""
    e = _entry(entry_id)
    data = {
        "entry_id": e.pk,
        "leaf": e.leaf_document(),
        "leaf_hash": selectors.leaf_hash_of(e),
        "leaf_index": e.leaf_index,
        "promise": selectors.promise_of(e),
        "inclusion": selectors.inclusion_proof(e),
    }
    return _json(data)


@endpoint
def leaves(request):
    """Leaf documents by leaf index, ``start`` ≤ index < ``end`` (at most ``LEAVES_MAX``): what a
    monitor needs to rebuild the tree itself."""
    start = _number(request.GET.get("start"), InvalidTreeSize)
    end = _number(request.GET.get("end"), InvalidTreeSize)
    if not start < end <= selectors.integrated_size():
        raise InvalidTreeSize()
    end = min(end, start + LEAVES_MAX)
    rows = [{"leaf_index": e.leaf_index, "leaf": e.leaf_document(), "leaf_hash": e.leaf_hash} for e in selectors.leaves_range(start, end)]
    return _json({"start": start, "end": end, "leaves": rows}, cache=FOREVER)
