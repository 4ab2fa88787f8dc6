"""Builders for the page tests: clients logged in as the order's buyer, its merchant, staff."""
from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kadun.cases import services

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def png(name: str = "shot.png", data: bytes = PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def client_of(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def opened(order, **kw):
    kw.setdefault("kind", "key_problem")
    kw.setdefault("statement", "卡密提示已被使用，无法充值")
    kw.setdefault("remedy", "full_refund")
    return services.case_open(order=order, author=order.buyer, **kw)


def text(response) -> str:
    return response.content.decode()


def countdown_seconds(body: str, within: str) -> int:
    """The seconds of the first live countdown inside the element with id ``within``."""
    start = body.index(f'id="{within}"')
    return int(re.search(r'data-countdown-seconds="(\d+)"', body[start:]).group(1))
