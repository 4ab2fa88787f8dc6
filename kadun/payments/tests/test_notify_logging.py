"""What a caller sends never forges a log line: trade numbers and provider names are logged quoted."""
from __future__ import annotations

import logging

import pytest
from django.test import Client

from conftest import buy, signed_notification

pytestmark = pytest.mark.django_db


def test_a_newline_in_out_trade_no_cannot_forge_a_log_line(product, caplog):
    order, _, _ = buy(product)
    params = signed_notification(order, out_trade_no="P1\nINFO kadun.payments sandbox notification for P9: delivered")
    with caplog.at_level(logging.INFO, logger="kadun.payments"):
        response = Client().post("/pay/notify/sandbox/", params)
    assert response.status_code == 400
    lines = [r.getMessage() for r in caplog.records if r.name == "kadun.payments"]
    assert lines, "the refusal is logged"
    assert all("\n" not in line and "\r" not in line for line in lines)
    assert any("'P1\\nINFO kadun." in line for line in lines)  # shown, escaped
