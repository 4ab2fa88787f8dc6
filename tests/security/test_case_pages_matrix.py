"""The permission matrix of the case pages (the ``cases:*`` URL names of kadun/cases/urls.py) ×
every kind of caller, on the same world as the API's (``tests/security/cases_world.py``).

The rule table (what the pages must do):
- a case's pages (the case, its attachments): the order's buyer (a guest through the access
  link's grant) and merchant, and staff; everyone else 404; anonymous 404 or the login page;
- the buyer's actions (open a case, 申请平台介入, withdraw): the buyer only (303/302 after the
  post); everyone else 404 (the merchant and staff may get 403); the thread: buyer and merchant;
- the merchant's pages: as the other merchant pages (no login → login, no shop → 开店, another
  shop's case 404) — the buyer and staff, who have no shop, are sent to 开店 there;
- the staff console: staff only (everyone else 404, anonymous 404 or the login page); support,
  arbitrators and admins act, only arbitrators (and admins) decide, risk staff never act.

Where the rule allows two answers (a redirect or the page; 403 or 404) the cell lists both. The
forms' field names are in ``FORMS``; adjust them there if the pages name them otherwise.

Every refused write changes nothing (cases, threads, offers, decisions, events, refunds, the
ledger, the inbox); every accepted one changes something; no internal note's text reaches a page
anyone but staff see.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest
from django.test import Client
from django.urls import reverse

from tests.security import STAFF_ROLES, shared_world
from tests.security.cases_world import NOTE, REASONS, STATEMENT, case_state

ACTORS = ("owner", "other_buyer", "merchant", "other_merchant", "anonymous", *STAFF_ROLES)
ANON = (302, 404)  # the login page, or the same 404 as for anything that does not exist
DONE = (302, 303)  # a form posted: back to the page
FORMS = {
    "open": lambda w: {"kind": "key_problem", "remedy": "full_refund", "statement": STATEMENT},
    "message": lambda w: {"body": "补充说明：充值页面提示已使用"},
    "escalate": lambda w: {"statement": "商家拒绝退款，但卡密确实无法使用"},
    "withdraw": lambda w: {"action": "withdraw"},
    "note": lambda w: {"action": "note", "note-body": NOTE},  # the staff console's note form (prefix "note")
    "decide": lambda w: {"action": "decide", "remedy": "full_refund", "fault": "merchant", "reasons": REASONS, "clauses": "1"},
}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with shared_world(django_db_blocker, cases=True) as w:
        yield w


def E(*, owner, other_buyer, merchant, other_merchant, anonymous, staff, **per_role) -> dict:
    expected = {"owner": owner, "other_buyer": other_buyer, "merchant": merchant, "other_merchant": other_merchant, "anonymous": anonymous}
    expected.update({role: per_role.pop(role, staff) for role in STAFF_ROLES})
    assert not per_role, per_role
    return expected


@dataclass(frozen=True)
class Row:
    id: str
    method: str
    url: Callable
    expect: dict
    guest: Callable | None = None  # the owner is a guest: this token's access link grants the order
    data: Callable | None = None
    writers: tuple = ()
    marker: Callable | None = None
    sees: tuple = ()


CASE_PAGE = E(owner=200, other_buyer=404, merchant=(200, 302), other_merchant=404, anonymous=ANON, staff=(200, 302))
SEE = E(owner=200, other_buyer=404, merchant=200, other_merchant=404, anonymous=ANON, staff=200)


def BUYER_ONLY(ok) -> dict:
    return E(owner=ok, other_buyer=404, merchant=(403, 404), other_merchant=404, anonymous=ANON, staff=(403, 404))


MERCHANT_LIST = E(owner=302, other_buyer=302, merchant=200, other_merchant=200, anonymous=302, staff=302)
# As the other merchant pages (merchants.access.merchant_page): no shop → 开店 (302), another shop's case 404.
MERCHANT_CASE = E(owner=302, other_buyer=302, merchant=200, other_merchant=404, anonymous=302, staff=302)
STAFF_PAGE = E(owner=404, other_buyer=404, merchant=404, other_merchant=404, anonymous=ANON, staff=200)


def STAFF_ACT(*, refused: tuple) -> dict:
    return E(owner=404, other_buyer=404, merchant=404, other_merchant=404, anonymous=ANON, staff=DONE, **{r: (403, 404) for r in refused})


def _url(name: str, attr: str, field: str = "case_no") -> Callable:
    return lambda w: reverse(f"cases:{name}", args=[getattr(getattr(w.cases, attr), field)])


ROWS = [
    Row("case page", "GET", _url("case", "waiting"), CASE_PAGE),
    Row("case page (guest)", "GET", _url("case", "guest_case"), CASE_PAGE, guest=lambda w: w.cases.guest_case_token),
    Row("attachment", "GET", lambda w: reverse("cases:attachment", args=[w.cases.public_attachment]), SEE),
    Row("attachment of an internal note", "GET", lambda w: reverse("cases:attachment", args=[w.cases.note_attachment]),
        E(owner=404, other_buyer=404, merchant=404, other_merchant=404, anonymous=ANON, staff=200)),
    Row("open form", "GET", _url("open", "bare_order", "order_no"), BUYER_ONLY(200)),
    Row("open a case", "POST", _url("open", "bare_order", "order_no"), BUYER_ONLY(DONE), data=FORMS["open"], writers=("owner",)),
    Row("open a case (guest)", "POST", _url("open", "guest_bare_order", "order_no"), BUYER_ONLY(DONE), guest=lambda w: w.cases.guest_bare_token,
        data=FORMS["open"], writers=("owner",)),
    Row("post a message", "POST", _url("order_message", "waiting_order", "order_no"),
        E(owner=DONE, other_buyer=404, merchant=DONE, other_merchant=404, anonymous=ANON, staff=(403, 404)), data=FORMS["message"],
        writers=("owner", "merchant")),
    Row("escalate a refund request", "POST", _url("escalate", "rejected_request", "request_no"), BUYER_ONLY(DONE), data=FORMS["escalate"],
        writers=("owner",)),
    Row("withdraw", "POST", _url("case_act", "waiting"), BUYER_ONLY(DONE), data=FORMS["withdraw"], writers=("owner",)),
    Row("merchant cases", "GET", lambda w: reverse("cases:merchant_list"), MERCHANT_LIST, marker=lambda w: w.cases.waiting.case_no, sees=("merchant",)),
    Row("merchant case", "GET", _url("merchant_case", "waiting"), MERCHANT_CASE),
    Row("staff queue", "GET", lambda w: reverse("cases:staff_queue"), STAFF_PAGE, marker=lambda w: w.cases.reviewing.case_no, sees=STAFF_ROLES),
    Row("staff sla", "GET", lambda w: reverse("cases:staff_sla"), STAFF_PAGE),
    Row("staff case", "GET", _url("staff_case", "reviewing"), STAFF_PAGE),
    Row("staff refund requests", "GET", lambda w: reverse("cases:staff_refund_requests"), STAFF_PAGE),
    Row("staff refund request", "GET", lambda w: f"/staff/refund-requests/{w.cases.rejected_request.request_no}/", STAFF_PAGE),
    Row("staff note", "POST", _url("staff_case_act", "reviewing"), STAFF_ACT(refused=("risk",)), data=FORMS["note"],
        writers=("support", "arbitrator", "admin")),
    Row("staff decide", "POST", _url("staff_case_act", "reviewing"), STAFF_ACT(refused=("support", "risk")), data=FORMS["decide"],
        writers=("arbitrator", "admin")),
]


def _user_of(w, actor: str):
    users = {"owner": w.buyer, "other_buyer": w.other_buyer, "merchant": w.merchant, "other_merchant": w.other_merchant, "anonymous": None}
    return users[actor] if actor in users else w.staff[actor]


def client_for(w, row: Row, actor: str) -> Client:
    client = Client()
    if actor == "owner" and row.guest is not None:
        assert client.get(reverse("web:order_open", args=[row.guest(w)])).status_code == 302
    elif _user_of(w, actor) is not None:
        client.force_login(_user_of(w, actor), backend="django.contrib.auth.backends.ModelBackend")
    return client


def _allowed(expected) -> tuple:
    return expected if isinstance(expected, tuple) else (expected,)


def _body(response) -> str:
    content = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    return content.decode("utf-8", errors="replace")


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
def test_case_pages_matrix(world, row: Row, actor: str):
    client = client_for(world, row, actor)
    unsafe = row.method != "GET"
    before = case_state() if unsafe else None

    url = row.url(world)
    response = client.get(url) if not unsafe else client.post(url, row.data(world) if row.data else {})
    body = _body(response)

    allowed = _allowed(row.expect[actor])
    assert response.status_code in allowed, f"{row.id} as {actor}: {response.status_code} not in {allowed}: {body[:300]}"
    if actor != "owner":
        assert not any(secret in body for secret in world.secrets), f"{row.id} as {actor}: a card key's plaintext"
    if actor not in STAFF_ROLES:
        assert NOTE not in body, f"{row.id} as {actor}: an internal note's text is on the page"
    if row.marker is not None and response.status_code == 200:
        assert (row.marker(world) in body) == (actor in row.sees), f"{row.id} as {actor}: marker"
    if unsafe:
        after = case_state()
        if actor in row.writers:
            assert after != before, f"{row.id} as {actor}: accepted but nothing changed"
        else:
            changed = sorted(k for k in before if before[k] != after[k])
            assert not changed, f"{row.id} as {actor}: refused but changed {changed}"


def test_every_row_names_every_caller():
    for row in ROWS:
        assert set(row.expect) == set(ACTORS), row.id


@pytest.mark.django_db
def test_every_case_url_name_has_a_row(world):
    """A new case page must join the matrix: every name in kadun/cases/urls.py is some row's."""
    from django.urls import Resolver404, resolve

    from kadun.cases import urls

    def name_of(url: str):
        try:
            return resolve(url.split("?")[0]).url_name
        except Resolver404:  # a page not written yet: its row's cells fail instead
            return None

    named = {p.name for p in urls.urlpatterns}
    covered = {name_of(row.url(world)) for row in ROWS}
    assert named - covered == set()
