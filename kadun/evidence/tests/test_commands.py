"""The log's duties outside a request: the sweeper round, `kadun evidence-sign`, and the signing
key among the generated secrets."""
from __future__ import annotations

import base64
import io
import json

import pytest
from django.core.management import call_command

from kadun.deadlines.worker import run_once
from kadun.evidence import selectors, signing
from kadun.evidence.models import Entry
from kadun.evidence.tests.helpers import append
from kadun.settings.secrets import load_secrets

pytestmark = pytest.mark.django_db


def test_a_sweeper_round_integrates_pending_entries_and_signs_a_head():
    append(0)
    append(1)
    fired, sent, integrated = run_once()
    assert integrated == 2
    assert not Entry.objects.filter(leaf_index__isnull=True).exists()
    assert selectors.latest_head()["tree_size"] == 2


def test_evidence_sign_integrates_and_signs_now(settings):
    settings.KADUN_EVIDENCE_SIGN_INTERVAL_SECONDS = 3600
    append(0)
    out = io.StringIO()
    call_command("evidence_sign", stdout=out)
    head = json.loads(out.getvalue().splitlines()[-1])
    assert head["tree_size"] == 1 and signing.verify_head(head)
    out = io.StringIO()
    call_command("evidence_sign", stdout=out)
    assert "no new entries" in out.getvalue()


def test_an_older_secrets_file_gets_a_signing_key_added_and_keeps_the_rest(tmp_path, monkeypatch):
    for name in ("SECRET_KEY", "KADUN_CARD_KEYS", "KADUN_KEY_HASH_SECRET", "KADUN_SANDBOX_SECRET", "KADUN_EVIDENCE_SIGNING_KEY"):
        monkeypatch.delenv(name, raising=False)
    first = load_secrets(tmp_path)
    stored = json.loads((tmp_path / "secrets.json").read_text())
    del stored["KADUN_EVIDENCE_SIGNING_KEY"]
    (tmp_path / "secrets.json").write_text(json.dumps(stored))
    again = load_secrets(tmp_path)
    assert again["SECRET_KEY"] == first["SECRET_KEY"]
    assert len(base64.b64decode(again["KADUN_EVIDENCE_SIGNING_KEY"])) == 32
    assert load_secrets(tmp_path)["KADUN_EVIDENCE_SIGNING_KEY"] == again["KADUN_EVIDENCE_SIGNING_KEY"]  # kept from then on


def test_a_signing_key_that_is_not_32_bytes_is_refused(tmp_path, monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("KADUN_EVIDENCE_SIGNING_KEY", base64.b64encode(b"short").decode())
    with pytest.raises(ImproperlyConfigured, match="KADUN_EVIDENCE_SIGNING_KEY"):
        load_secrets(tmp_path)
