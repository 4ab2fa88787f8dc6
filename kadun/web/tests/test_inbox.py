"""站内信 through HTTP: linked in the navigation with the unread count (one query), marked
read when the buyer opens them; and the favicon every page links."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import make_user
from kadun.notifications.models import Message
from kadun.notifications.services import message_send

pytestmark = pytest.mark.django_db


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_navigation_links_the_inbox_with_the_unread_count():
    alice, bob = make_user(), make_user()
    message_send(user_id=alice.pk, title="订单已发货")
    message_send(user_id=alice.pk, title="退款已到账")
    message_send(user_id=bob.pk, title="不是给 alice 的")
    body = _logged_in(alice).get("/").content.decode()
    assert 'href="/messages/"' in body
    assert 'id="unread-count"' in body and ">2<" in body.split('id="unread-count"', 1)[1][:40]


def test_the_unread_count_costs_one_query():
    alice = make_user()
    message_send(user_id=alice.pk, title="订单已发货")
    client = _logged_in(alice)
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert len([q for q in queries if "notifications_message" in q["sql"]]) == 1


def test_opening_the_inbox_marks_the_messages_read():
    alice = make_user()
    message_send(user_id=alice.pk, title="订单已发货", body="请在订单页查看卡密。")
    client = _logged_in(alice)
    page = client.get("/messages/").content.decode()
    assert "订单已发货" in page and 'class="badge warn unread"' in page  # shown as new this once
    assert Message.objects.get().read_at is not None
    again = client.get("/messages/").content.decode()
    assert 'id="unread-count"' not in again and "unread" not in again


def test_opening_the_inbox_leaves_other_users_messages_unread():
    alice, bob = make_user(), make_user()
    message_send(user_id=bob.pk, title="给 bob 的")
    _logged_in(alice).get("/messages/")
    assert Message.objects.get().read_at is None


def test_guests_see_no_inbox_link():
    assert 'href="/messages/"' not in Client().get("/").content.decode()


def test_every_page_links_a_favicon_that_is_served():
    body = Client().get("/").content.decode()
    assert 'rel="icon" href="/static/kadun/favicon.svg"' in body
    icon = Client().get("/static/kadun/favicon.svg")
    assert icon.status_code == 200 and b"<svg" in b"".join(icon.streaming_content)
    legacy = Client().get("/favicon.ico")
    assert legacy.status_code in (301, 302) and legacy["Location"] == "/static/kadun/favicon.svg"


def test_a_hundred_unread_messages_show_as_99_plus_without_counting_them_all():
    alice = make_user()
    for i in range(101):
        message_send(user_id=alice.pk, title=f"消息{i}")
    client = _logged_in(alice)
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/").content.decode()
    assert ">99+<" in body
    assert not [q for q in queries if "notifications_message" in q["sql"] and "COUNT(" in q["sql"].upper()]
