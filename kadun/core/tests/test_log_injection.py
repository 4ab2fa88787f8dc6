"""Log injection: nothing a client writes can start a new line in kadun's log.

The login username reaches the log raw (axes logs every failure at WARNING), so does a path
(django.request logs every 404). The handlers settings.LOGGING installs escape CR, LF and every
other control character in the formatted message; these tests capture what the real console
handler writes."""
from __future__ import annotations

import io
import logging
import re

import pytest
from django.test import Client

from conftest import make_user

pytestmark = pytest.mark.django_db

FORGED = "2026-12-01 22:00:00,000 WARNING kadun.payments FORGED LINE"
LINE_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) \S+ ")


@pytest.fixture
def console():
    """What the console handler of settings.LOGGING writes, captured."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(old)


def _lines(buffer: io.StringIO) -> list[str]:
    return buffer.getvalue().splitlines()


def test_a_login_username_cannot_forge_a_log_line(console):
    make_user("alice")
    response = Client().post("/login/", {"username": f"alice\n{FORGED}", "password": "wrong-password"})
    assert response.status_code == 200  # the form again, with its error
    lines = _lines(console)
    assert any("AXES: New login failure" in line for line in lines), lines
    assert all(LINE_START.match(line) for line in lines), lines
    assert not any(line.startswith(FORGED) for line in lines)
    assert any("alice\\n" + FORGED in line for line in lines), lines  # still readable, escaped


def test_a_carriage_return_or_other_control_character_is_escaped_too(console):
    Client().post("/login/", {"username": f"bob\r{FORGED}\x1b[2K\x85\u2028x", "password": "wrong-password"})
    text = console.getvalue()
    assert not re.search(r"[\r\x1b\x85\u2028]", text)
    assert "bob\\r" + FORGED + "\\x1b[2K\\x85\\u2028x" in text


def test_a_path_logged_by_django_cannot_forge_a_log_line(console):
    response = Client().get("/no-such-page%0A" + FORGED.replace(" ", "%20"))
    assert response.status_code == 404
    lines = _lines(console)
    assert any("Not Found" in line for line in lines), lines
    assert all(LINE_START.match(line) for line in lines), lines


def test_any_kadun_logger_is_escaped_and_tracebacks_keep_their_lines(console):
    log = logging.getLogger("kadun.payments")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("notify for %s failed", f"P1\n{FORGED}")
    lines = _lines(console)
    assert lines[0].endswith("notify for P1\\n" + FORGED + " failed")
    assert lines[1] == "Traceback (most recent call last):"  # a traceback is the log's own text
    assert not any(line.startswith(FORGED) for line in lines)
