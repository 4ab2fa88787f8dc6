"""The offline verifier: a bundle as built verifies; any change to an entry, a body, an
attachment, a proof or the head, a deleted or reordered entry, or another head, fails with the
check that caught it — even when whoever changed it fixed the manifest's hashes. The verifier
runs without Django, also as the one-file ``verify.py``."""
from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys

import pytest

from kadun.evidence import merkle
from kadun.evidence.offline.verify import head_message, verify_bundle
from kadun.evidence.tests.bundle_kit import KitLog, KitKey, bundle_bytes, record, rezip, unzip
from kadun.evidence.tests.conftest import PNG_A, PNG_B, evidence_order, internal, subject_entries

pytestmark = pytest.mark.django_db
SHA_A, SHA_B = hashlib.sha256(PNG_A).hexdigest(), hashlib.sha256(PNG_B).hexdigest()


def _lines(files) -> list[dict]:
    return [json.loads(line) for line in files["entries.jsonl"].decode().splitlines()]


def _set_lines(files, rows) -> None:
    files["entries.jsonl"] = b"".join(json.dumps(r, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode() + b"\n" for r in rows)


def _rehash(files) -> None:
    """What someone changing the bundle would do: fix the manifest's hashes (they can't re-sign it)."""
    manifest = json.loads(files["manifest.json"])
    for item in manifest["files"]:
        if item["path"] in files:
            item["sha256"] = hashlib.sha256(files[item["path"]]).hexdigest()
            item["size"] = len(files[item["path"]])
    files["manifest.json"] = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()


def _flip_hex(text: str) -> str:
    return ("0" if text[0] != "0" else "1") + text[1:]


def _resigned_head(files, key: KitKey, **change) -> None:
    head = {**json.loads(files["head.json"]), **change}
    head["key_id"], head["signature"] = key.sign(head_message("kadun", head))
    files["head.json"] = json.dumps(head).encode()


def t_body(files, kit):
    rows = _lines(files)
    rows[0]["body"] = rows[0]["body"].replace("1500", "9999")
    _set_lines(files, rows)


def t_leaf(files, kit):
    rows = _lines(files)
    rows[1]["leaf"]["kind"] = "key.never_revealed"
    _set_lines(files, rows)


def t_attachment(files, kit):
    data = bytearray(files[f"attachments/{SHA_A}"])
    data[-1] ^= 1
    files[f"attachments/{SHA_A}"] = bytes(data)


def t_proof(files, kit):
    proofs = json.loads(files["proofs.json"])
    first = next(iter(proofs["inclusion"].values()))
    first["path"][0] = _flip_hex(first["path"][0])
    files["proofs.json"] = json.dumps(proofs).encode()


def t_head_root(files, kit):
    head = json.loads(files["head.json"])
    head["root_hash"] = _flip_hex(head["root_hash"])
    files["head.json"] = json.dumps(head).encode()


def t_head_signature(files, kit):
    head = json.loads(files["head.json"])
    raw = bytearray(base64.b64decode(head["signature"]))
    raw[0] ^= 1
    head["signature"] = base64.b64encode(bytes(raw)).decode()
    files["head.json"] = json.dumps(head).encode()


def t_promise(files, kit):
    proofs = json.loads(files["proofs.json"])
    promise = next(iter(proofs["promises"].values()))
    raw = bytearray(base64.b64decode(promise["signature"]))
    raw[5] ^= 1
    promise["signature"] = base64.b64encode(bytes(raw)).decode()
    files["proofs.json"] = json.dumps(proofs).encode()


def t_delete(files, kit):
    _set_lines(files, _lines(files)[1:])


def t_delete_everywhere(files, kit):
    rows = _lines(files)
    gone = rows[0]["id"]
    _set_lines(files, rows[1:])
    manifest = json.loads(files["manifest.json"])
    manifest["entries"].remove(gone)
    files["manifest.json"] = json.dumps(manifest).encode()
    proofs = json.loads(files["proofs.json"])
    proofs["inclusion"].pop(str(gone), None)
    files["proofs.json"] = json.dumps(proofs).encode()


def t_reorder(files, kit):
    rows = _lines(files)
    rows[0], rows[1] = rows[1], rows[0]
    _set_lines(files, rows)


def t_head_other_key(files, kit):
    _resigned_head(files, KitKey())


def t_head_other_tree(files, kit):
    """A valid head (same key) of another tree of the same size."""
    head = json.loads(files["head.json"])
    other = merkle.InMemoryTree([hashlib.sha256(bytes([i])).digest() for i in range(head["tree_size"])])
    _resigned_head(files, kit.key, root_hash=other.root().hex())

TAMPERS = [
    (t_body, "body_hash"),
    (t_leaf, "inclusion"),
    (t_attachment, "attachment_hash"),
    (t_proof, "inclusion"),
    (t_head_root, "head_signature"),
    (t_head_signature, "head_signature"),
    (t_promise, "promise_signature"),
    (t_delete, "entry_missing"),
    (t_delete_everywhere, "manifest_signature"),
    (t_reorder, "entry_order"),
    (t_head_other_key, "unknown_key"),
    (t_head_other_tree, "inclusion"),
]


@pytest.fixture
def built(kit):
    order, case = evidence_order(kit)
    return order, case, bundle_bytes(order=order, role="buyer")


def test_a_bundle_as_built_passes_every_check(built):
    order, _case, data = built
    report = verify_bundle(data)
    assert report.ok, report.problems
    # the buyer's bundle: every entry on the order and its case — those checkout, payment, delivery
    # and the case wrote, and the kit's — but the staff note (as logged, and as the kit recorded
    # it), all integrated under the head but the last, which is pending with its promise; the case's picture
    entries, everything = subject_entries(order), subject_entries(order, role="staff")
    notes = [e for e in everything if e.kind == "case.message" and internal(e)]
    assert len(notes) == 2 and not set(notes) & set(entries)
    assert [e.leaf_index is None for e in entries] == [False] * (len(entries) - 1) + [True]
    assert (report.entries, report.included, report.promised, report.attachments) == (len(entries), len(entries) - 1, 1, 1)
    files = unzip(data)
    assert json.loads(files["manifest.json"])["entries"] == [e.pk for e in entries]
    assert f"attachments/{SHA_A}" in files and f"attachments/{SHA_B}" not in files
    assert json.loads(files["manifest.json"])["subject"]["no"] == order.order_no


def test_staff_get_the_internal_note_and_its_picture(kit):
    order, _case = evidence_order(kit)
    report = verify_bundle(bundle_bytes(order=order, role="staff"))
    everything = subject_entries(order, role="staff")
    assert len(everything) == len(subject_entries(order)) + 3  # the note as logged and as the kit recorded it, and its picture
    assert report.ok and (report.entries, report.attachments) == (len(everything), 2)


def test_the_buyer_gets_no_entry_about_the_internal_notes_picture(built):
    from kadun.cases.models import CaseAttachment

    order, _case, data = built
    picture = CaseAttachment.objects.get(sha256=SHA_B)
    assert picture.message.internal
    files = unzip(data)
    assert f"attachments/{SHA_B}" not in files  # the picture itself is withheld …
    assert SHA_B.encode() not in files["entries.jsonl"]  # … and so must be the entry naming it (its hash, size, note)


@pytest.mark.parametrize("tamper,code", TAMPERS, ids=[t.__name__[2:] for t, _ in TAMPERS])
def test_a_changed_bundle_fails_with_the_check_that_caught_it(kit, built, tamper, code):
    files = unzip(built[2])
    tamper(files, kit)
    _rehash(files)
    report = verify_bundle(rezip(files))
    assert not report.ok
    assert code in report.codes, report.problems
    assert "manifest_hash" not in report.codes  # the hashes were fixed: the deeper check caught it


def test_a_changed_file_without_fixed_hashes_fails_on_the_manifest(built):
    files = unzip(built[2])
    t_body(files, None)
    report = verify_bundle(rezip(files))
    assert {"manifest_hash", "body_hash"} <= report.codes
    assert any(p.where == "entries.jsonl" and "清单" in p.zh for p in report.problems)


def test_a_bundle_re_signed_with_another_key_passes_alone_but_fails_against_the_published_keys(kit, built):
    order = built[0]
    published = kit.public_keys()
    forger = KitLog()
    forger.tree, forger.head = kit.tree, None
    from kadun.evidence import tree_calls

    tree_calls.use(forger)
    forger.sign_head()
    forged = bundle_bytes(order=order, role="buyer")
    assert verify_bundle(forged).ok  # self-consistent: why the keys must be compared with the site's
    assert "unknown_key" in verify_bundle(forged, trusted_keys=published).codes
    assert verify_bundle(built[2], trusted_keys=published).ok


def test_a_head_kept_from_an_earlier_bundle_is_extended_by_the_new_one(kit, built):
    order, case, data = built
    old_head = json.loads(unzip(data)["head.json"])
    record("case", case.pk, "case.decided", {"remedy": "full_refund"})
    kit.settle()
    newer = bundle_bytes(order=order, role="buyer", since=old_head["tree_size"])
    report = verify_bundle(newer, against=old_head)
    assert report.ok, report.problems
    assert any("延续" in zh for zh, _en in report.notes)
    assert "consistency_missing" in verify_bundle(bundle_bytes(order=order, role="buyer"), against=old_head).codes


def test_a_kept_head_of_a_rewritten_log_fails_the_consistency_proof(kit, built):
    order, case, data = built
    old_head = json.loads(unzip(data)["head.json"])
    fake = {**old_head, "root_hash": hashlib.sha256(b"another history").hexdigest()}
    fake["key_id"], fake["signature"] = kit.key.sign(head_message("kadun", fake))
    record("case", case.pk, "case.decided", {"remedy": "full_refund"})
    kit.settle()
    newer = bundle_bytes(order=order, role="buyer", since=old_head["tree_size"])
    assert "consistency" in verify_bundle(newer, against=fake).codes


def _run(args, cwd=None, isolated=False):
    flags = ["-I"] if isolated else []
    return subprocess.run([sys.executable, *flags, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_the_verifier_runs_without_django(built, tmp_path):
    path = tmp_path / "bundle.zip"
    path.write_bytes(built[2])
    done = _run(["-X", "importtime", "-m", "kadun.evidence.offline", str(path)])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "通过 / PASS" in done.stdout
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "kadun.evidence.offline.verify" in imported
    assert not {m for m in imported if m.split(".")[0] == "django" or m == "kadun.evidence.models"}


def test_the_verdict_lists_each_problem_and_exits_1(built, tmp_path):
    files = unzip(built[2])
    t_attachment(files, None)
    path = tmp_path / "bundle.zip"
    path.write_bytes(rezip(files))
    done = _run(["-m", "kadun.evidence.offline", str(path)])
    assert done.returncode == 1
    assert "结论 / Verdict: 不通过 / FAIL" in done.stdout
    assert f"[attachment_hash] attachments/{SHA_A}: 附件的 SHA-256 与条目引用的哈希不符" in done.stdout


def test_the_one_file_verifier_in_the_bundle_needs_only_python_and_cryptography(built, tmp_path):
    files = unzip(built[2])
    (tmp_path / "verify.py").write_bytes(files["verify.py"])
    (tmp_path / "good.zip").write_bytes(built[2])
    t_reorder(files, None)
    (tmp_path / "bad.zip").write_bytes(rezip(files))
    good = _run(["verify.py", "good.zip"], cwd=tmp_path, isolated=True)  # -I: no PYTHONPATH, so no kadun package
    assert good.returncode == 0 and "通过 / PASS" in good.stdout, good.stdout + good.stderr
    bad = _run(["verify.py", "bad.zip"], cwd=tmp_path, isolated=True)
    assert bad.returncode == 1 and "[entry_order]" in bad.stdout


def test_kadun_verify_is_the_same_check(built, tmp_path, capsys):
    from kadun.cli import main

    path = tmp_path / "bundle.zip"
    path.write_bytes(built[2])
    with pytest.raises(SystemExit) as done:
        main(["kadun", "verify", str(path)])
    assert done.value.code == 0 and "通过 / PASS" in capsys.readouterr().out


@pytest.mark.evidence_tampered  # the stored picture is deleted behind the app's back (the check below says so)
def test_a_picture_missing_from_storage_is_left_out_and_named(kit):
    from django.core.files.storage import default_storage

    from kadun.cases.models import CaseAttachment
    from kadun.evidence.check import evidence_check

    order, _case = evidence_order(kit)
    attachment = CaseAttachment.objects.get(sha256=SHA_A)
    default_storage.delete(attachment.file.name)
    default_storage.delete(f"case-staging/{attachment.file.name.rsplit('/', 1)[-1]}")
    files = unzip(bundle_bytes(order=order, role="buyer"))
    manifest = json.loads(files["manifest.json"])
    assert manifest["unavailable"] == [SHA_A] and f"attachments/{SHA_A}" not in files
    report = verify_bundle(rezip(files))
    assert report.ok and any(SHA_A[:16] in zh for zh, _en in report.notes)  # the entries still prove themselves; the picture is named missing
    gone = [f for f in evidence_check().findings]
    assert [(f.problem, f.source, f.row_id) for f in gone] == [("file", "cases.attachment", attachment.pk)]  # and the log's check sees it gone
