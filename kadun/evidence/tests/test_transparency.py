"""/transparency/ over HTTP: the page in both languages, every JSON URL, and bad input answering
a stable code with a 4xx and changing nothing."""
from __future__ import annotations

import pytest
from django.test import Client

from kadun.evidence import merkle, services, signing
from kadun.evidence.models import Entry, TreeHead
from kadun.evidence.tests.helpers import append, integrate_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def log():
    entries = [append(i) for i in range(7)]
    integrate_all()
    services.heads_sign(force=True)
    entries += [append(i) for i in range(7, 12)]
    integrate_all()
    services.heads_sign(force=True)
    pending = append(99)
    return entries, pending


def get(url, **kw):
    return Client().get(url, kw)


def test_the_page_lists_heads_keys_and_the_merge_delay_in_chinese_and_english(log):
    page = get("/transparency/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "存证透明日志" in text and "60 秒内" in text
    head = TreeHead.objects.get(tree_size=12)
    assert head.root_hash in text and signing.current_key_id() in text
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/transparency/"})
    english = client.get("/transparency/").content.decode()
    assert "Transparency log" in english and "within 60 seconds" in english


def test_keys_json(log):
    data = get("/transparency/keys.json").json()
    assert data["log"] == "kadun"
    [key] = data["keys"]
    assert key["algorithm"] == "Ed25519" and key["retired_at"] is None and key["key_id"] == signing.current_key_id()


def test_heads_latest_list_and_by_size(log):
    latest = get("/transparency/heads/latest.json")
    assert latest.status_code == 200 and latest.json()["tree_size"] == 12
    assert signing.verify_head(latest.json())
    listed = get("/transparency/heads/").json()
    assert [h["tree_size"] for h in listed["heads"]] == [12, 7] and listed["next"] is None
    seven = get("/transparency/heads/7.json")
    assert seven.json()["tree_size"] == 7 and "immutable" in seven["Cache-Control"]
    assert get("/transparency/heads/8.json").json()["code"] == "head_not_found"


def test_heads_are_paged(log, monkeypatch):
    from kadun.evidence import views_transparency

    monkeypatch.setattr(views_transparency, "PAGE", 1)
    first = get("/transparency/heads/").json()
    assert [h["tree_size"] for h in first["heads"]] == [12] and first["next"] == "/transparency/heads/?before=12"
    second = get("/transparency/heads/", before="12").json()
    assert [h["tree_size"] for h in second["heads"]] == [7] and second["next"] is None


def test_inclusion_proof_verifies_against_the_signed_head(log):
    entries, _ = log
    target = Entry.objects.get(pk=entries[3].pk)
    for size, expect_size in ((None, 12), ("7", 7)):
        url = f"/transparency/proof/inclusion/{target.pk}.json"
        proof = (get(url, tree_size=size) if size else get(url)).json()
        head = get(f"/transparency/heads/{expect_size}.json").json()
        assert proof["tree_size"] == expect_size
        assert merkle.verify_inclusion(proof["leaf_index"], proof["tree_size"], bytes.fromhex(target.leaf_hash),
                                       [bytes.fromhex(p) for p in proof["path"]], bytes.fromhex(head["root_hash"]))


def test_consistency_proof_links_the_two_heads(log):
    proof = get("/transparency/proof/consistency.json", first="7", second="12").json()
    a, b = (get(f"/transparency/heads/{n}.json").json() for n in (7, 12))
    assert merkle.verify_consistency(7, 12, bytes.fromhex(a["root_hash"]), bytes.fromhex(b["root_hash"]), [bytes.fromhex(p) for p in proof["path"]])


def test_an_entry_shows_its_leaf_and_its_promise_then_its_proof(log):
    entries, pending = log
    data = get(f"/transparency/entries/{pending.pk}.json").json()
    assert data["leaf"] == pending.leaf_document() and data["leaf_index"] is None and data["inclusion"] is None
    assert signing.verify_promise(data["promise"]) and "body" not in data
    done = get(f"/transparency/entries/{entries[0].pk}.json").json()
    assert done["leaf_index"] == 0 and done["inclusion"]["tree_size"] == 12


def test_leaves_by_index_let_a_monitor_rebuild_the_tree(log):
    data = get("/transparency/leaves.json", start="0", end="12").json()
    from kadun.evidence import canonical

    leaves = [merkle.leaf_hash(canonical.dumps(row["leaf"])) for row in data["leaves"]]
    assert merkle.root_of(leaves).hex() == get("/transparency/heads/latest.json").json()["root_hash"]


@pytest.mark.parametrize("url,params,status,code", [
    ("/transparency/heads/abc.json", {}, 400, "invalid_tree_size"),
    ("/transparency/heads/-1.json", {}, 400, "invalid_tree_size"),
    ("/transparency/heads/", {"before": "x"}, 400, "invalid_tree_size"),
    ("/transparency/proof/inclusion/abc.json", {}, 404, "entry_not_found"),
    ("/transparency/proof/inclusion/999999999.json", {}, 404, "entry_not_found"),
    ("/transparency/proof/consistency.json", {"first": "12", "second": "7"}, 400, "invalid_tree_size"),
    ("/transparency/proof/consistency.json", {"first": "1", "second": "13"}, 400, "invalid_tree_size"),
    ("/transparency/proof/consistency.json", {"first": "1"}, 400, "invalid_tree_size"),
    ("/transparency/proof/consistency.json", {"first": "1.5", "second": "3"}, 400, "invalid_tree_size"),
    ("/transparency/entries/x.json", {}, 404, "entry_not_found"),
    ("/transparency/entries/999999999.json", {}, 404, "entry_not_found"),
    ("/transparency/leaves.json", {"start": "5", "end": "5"}, 400, "invalid_tree_size"),
    ("/transparency/leaves.json", {"start": "0", "end": "9999"}, 400, "invalid_tree_size"),
])
def test_bad_input_answers_a_stable_code_and_changes_nothing(log, url, params, status, code):
    before = (Entry.objects.filter(leaf_index__isnull=True).count(), TreeHead.objects.count())
    response = get(url, **params)
    assert response.status_code == status and response.json()["code"] == code and response.json()["message"]
    assert response["Cache-Control"] == "no-store"
    assert (Entry.objects.filter(leaf_index__isnull=True).count(), TreeHead.objects.count()) == before


def test_proofs_for_entries_not_in_the_tree_answer_not_integrated(log):
    entries, pending = log
    assert get(f"/transparency/proof/inclusion/{pending.pk}.json").json()["code"] == "entry_not_integrated"
    late = entries[9]  # leaf 9 is not in the tree of 7
    response = get(f"/transparency/proof/inclusion/{late.pk}.json", tree_size="7")
    assert response.status_code == 404 and response.json()["code"] == "entry_not_integrated"
    assert get(f"/transparency/proof/inclusion/{late.pk}.json", tree_size="13").json()["code"] == "invalid_tree_size"


def test_a_post_is_refused(log):
    assert Client().post("/transparency/heads/latest.json").status_code == 405


def test_the_json_is_rate_limited_per_address(log, settings):
    settings.KADUN_TRANSPARENCY_RATE = "3/m"
    client = Client()
    answers = [client.get("/transparency/heads/latest.json").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = client.get("/transparency/keys.json")
    assert limited.json()["code"] == "rate_limited" and int(limited["Retry-After"]) > 0
