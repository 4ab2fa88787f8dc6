"""Evidence bundles (存证包): everything the log holds about an order or a case, in one zip that
anyone can verify offline (``python -m kadun.evidence.offline BUNDLE.zip``, or ``verify.py``
inside it) without trusting kadun's server.

The zip holds ``manifest.json`` (subject, time, every file with its SHA-256, the entry ids, the
attachments and which entries cite them), ``signature.json`` (the log key's signature over the
manifest, so no entry can be dropped or added without it showing), ``entries.jsonl`` (id, leaf
document, body text, leaf index), ``attachments/<sha256>`` (the pictures the entries cite by
hash), ``proofs.json`` (the inclusion proof of each integrated entry against ``head.json``, a
signed promise for each pending one), ``head.json`` (a signed tree head), ``keys.json``,
``consistency.json`` (with ``since``: the proof from an older head's size), ``README.txt`` and
``verify.py``. Formats: docs/evidence.md. The tree is read only through ``tree_calls.current()``.
"""
from __future__ import annotations

import json
import re
import tempfile
import zipfile
from dataclasses import dataclass, field

from kadun.core import clock
from kadun.evidence import canonical, tree_calls
from kadun.evidence.offline import onefile
from kadun.evidence.offline.verify import BUNDLE_TYPE, manifest_message

STAFF = "staff"
# Entries only staff get (internal notes, risk flags): by kind, or a body that says so.
STAFF_ONLY_KINDS = frozenset({"case.note", "case.internal_note", "risk.alert"})
SPOOL_BYTES = 8 * 1024 * 1024
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass
class Attachment:
    sha256: str
    content_type: str
    data: bytes
    cited_by: list[int] = field(default_factory=list)


@dataclass
class Contents:
    subject: dict
    entries: list
    head: dict | None
    keys: dict
    proofs: dict
    attachments: list[Attachment]
    created_at: str
    log_id: str
    consistency: dict | None = None
    unavailable: list[str] = field(default_factory=list)

    @property
    def filename(self) -> str:
        return f"kadun-evidence-{self.subject['type']}-{self.subject['no']}.zip"


def visible(entry, role: str) -> bool:
    """Whether the viewer in ``role`` gets this entry: everything for staff; for the buyer and
    the merchant, not the internal ones."""
    if role == STAFF:
        return True
    if entry.kind in STAFF_ONLY_KINDS:
        return False
    try:
        body = json.loads(entry.body)
    except ValueError:
        return True
    return not (isinstance(body, dict) and (body.get("internal") is True or body.get("staff_only") is True))


def _entries(subjects: list[tuple[str, int]], role: str, log) -> list:
    rows = {}
    for subject_type, subject_id in subjects:
        for entry in log.entries_of(subject_type, subject_id):
            rows[entry.pk] = entry
    return [rows[pk] for pk in sorted(rows) if visible(rows[pk], role)]


def _cited(entries) -> dict[str, list[int]]:
    cited: dict[str, list[int]] = {}
    for entry in entries:
        for digest in sorted(set(_HEX64.findall(entry.body))):
            cited.setdefault(digest, []).append(entry.pk)
    return cited


def _attachments(order, entries, role: str) -> tuple[list[Attachment], list[str]]:
    """The pictures the entries cite by SHA-256, read from storage and checked against it."""
    from kadun.aftersales import selectors as refunds
    from kadun.cases import selectors as cases

    cited = _cited(entries)
    if not cited:
        return [], []
    found: dict[str, Attachment] = {}
    unavailable: set[str] = set()
    rows = refunds.evidence_files(order_id=order.pk, hashes=cited) + cases.attachment_files(order_id=order.pk, hashes=cited, staff=role == STAFF)
    for digest, content_type, opener in rows:
        if digest in found:
            continue
        try:
            with opener() as handle:
                data = handle.read()
        except OSError:
            unavailable.add(digest)
            continue
        if canonical.sha256_hex(data) != digest:
            unavailable.add(digest)  # the stored file is not what was logged: leave it out, say so
            continue
        unavailable.discard(digest)
        found[digest] = Attachment(sha256=digest, content_type=content_type, data=data, cited_by=cited[digest])
    return [found[d] for d in sorted(found)], sorted(unavailable - set(found))


def _proofs(entries, head: dict | None, log) -> dict:
    size = head["tree_size"] if head else 0
    inclusion, promises = {}, {}
    for entry in entries:
        proof = None
        if entry.leaf_index is not None and entry.leaf_index < size:
            proof = log.inclusion_proof(entry, size)
        if proof is not None:
            inclusion[str(entry.pk)] = proof
        else:
            promises[str(entry.pk)] = log.promise_of(entry)
    return {"tree_size": size, "inclusion": inclusion, "promises": promises}


def collect(*, order, case=None, role: str, since: int | None = None) -> Contents:
    """What the bundle of ``case`` (its entries and its order's) or of ``order`` (its entries and
    every case's on it) holds for a viewer in ``role``."""
    from kadun.cases import selectors as cases

    log = tree_calls.current()
    if case is not None:
        subject = {"type": "case", "id": case.pk, "no": case.case_no, "order_no": order.order_no}
        subjects = [("order", order.pk), ("case", case.pk)]
    else:
        subject = {"type": "order", "id": order.pk, "no": order.order_no, "order_no": order.order_no}
        subjects = [("order", order.pk)] + [("case", c.pk) for c in cases.cases_of_order(order)]
    head = log.latest_head()  # read before the entries' proofs, which are taken against it
    entries = _entries(subjects, role, log)
    attachments, unavailable = _attachments(order, entries, role)
    consistency = None
    if head and since and 0 < int(since) < head["tree_size"]:
        consistency = log.consistency_proof(int(since), head["tree_size"])
    return Contents(
        subject=subject, entries=entries, head=head, keys=log.public_keys(), proofs=_proofs(entries, head, log),
        attachments=attachments, created_at=clock.now().isoformat(), log_id=log.log_id(), consistency=consistency, unavailable=unavailable,
    )


def entry_line(entry) -> bytes:
    return canonical.dumps({"id": entry.pk, "leaf": entry.leaf_document(), "body": entry.body, "leaf_index": entry.leaf_index})


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8") + b"\n"


def files_of(contents: Contents) -> dict[str, bytes]:
    """Every file but the manifest and its signature, by path."""
    files = {
        "entries.jsonl": b"".join(entry_line(e) + b"\n" for e in contents.entries),
        "proofs.json": _json(contents.proofs),
        "head.json": _json(contents.head),
        "keys.json": _json(contents.keys),
        "README.txt": readme(contents).encode("utf-8"),
        "verify.py": onefile.source().encode("utf-8"),
    }
    if contents.consistency is not None:
        files["consistency.json"] = _json(contents.consistency)
    for a in contents.attachments:
        files[f"attachments/{a.sha256}"] = a.data
    return files


def manifest_of(contents: Contents, files: dict[str, bytes]) -> bytes:
    return _json({
        "v": 1,
        "type": BUNDLE_TYPE,
        "log": contents.log_id,
        "subject": contents.subject,
        "created_at": contents.created_at,
        "head": {"tree_size": contents.head["tree_size"], "root_hash": contents.head["root_hash"]} if contents.head else None,
        "entries": [e.pk for e in contents.entries],
        "files": [{"path": path, "sha256": canonical.sha256_hex(data), "size": len(data)} for path, data in sorted(files.items())],
        "attachments": [{"path": f"attachments/{a.sha256}", "sha256": a.sha256, "content_type": a.content_type, "size": len(a.data),
                         "cited_by": a.cited_by} for a in contents.attachments],
        "unavailable": contents.unavailable,
    })


def write(contents: Contents, out) -> None:
    """The zip, written to the file object ``out``; the manifest is signed by the log's key."""
    files = files_of(contents)
    manifest = manifest_of(contents, files)
    key_id, signature = tree_calls.current().sign(manifest_message(contents.log_id, manifest))
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", manifest)
        zf.writestr("signature.json", _json({"key_id": key_id, "signature": signature}))
        for path in sorted(files):
            zf.writestr(path, files[path])


def bundle_file(*, order, case=None, role: str, since: int | None = None):
    """(file name, an open file positioned at 0) — spooled to disk past 8 MB, for streaming."""
    contents = collect(order=order, case=case, role=role, since=since)
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    write(contents, out)
    out.seek(0)
    return contents.filename, out


def readme(contents: Contents) -> str:
    s = contents.subject
    what = f"订单 {s['no']}" if s["type"] == "order" else f"售后工单 {s['no']}（订单 {s['order_no']}）"
    what_en = f"order {s['no']}" if s["type"] == "order" else f"after-sales case {s['no']} (order {s['order_no']})"
    head = contents.head
    head_line = f"tree_size={head['tree_size']} root_hash={head['root_hash']}" if head else "（尚无签名树头 / no signed head yet）"
    return README.format(what=what, what_en=what_en, created=contents.created_at, log=contents.log_id, head=head_line,
                         n=len(contents.entries), a=len(contents.attachments), name=contents.filename)


README = """kadun 存证包 — {what}
生成时间 {created}；日志 {log}；签名树头 {head}
{n} 条存证，{a} 个附件。

这是什么
  平台把决定退款的每个事实（付款、发货、查看卡密、退款申请、工单消息、裁决……）在发生时写入只可追加的
  存证日志（默克尔树，RFC 6962），并定期用平台密钥签名树头。本包含有与上述对象有关的全部存证条目、
  它们引用的图片、每条的包含证明（或尚未收录条目的签名承诺）、签名树头和平台公钥。
  校验不需要联网，也不需要信任平台的服务器：任何人都能独立核对。

如何校验
  python -m kadun.evidence.offline {name}      （已安装 kadun）
  或  kadun verify {name}
  或  python verify.py {name}                  （只需 Python 3.11+ 与 pip install cryptography；
                                                 verify.py 在本包内，也可从 kadun 源码仓库取得后比对）
  可选：--against 旧的head.json —— 用您以前保存的树头检查日志此后没有被改写。
  公钥也公布在网站的 /transparency/keys.json，请与 keys.json 比对。
  结果为「通过」时，包内每个条目、附件、证明和签名都核对无误；「不通过」会逐条列出问题。

kadun evidence bundle — {what_en}
Created {created}; log {log}; signed tree head {head}
{n} entries, {a} attachments.

What this is
  The platform writes every fact a refund can turn on (payment, delivery, key reveals, refund
  requests, case messages, decisions ...) into an append-only evidence log (a Merkle tree,
  RFC 6962) when it happens, and signs the tree's head with its key. This bundle holds every
  entry about the subject above, the pictures they cite, each entry's inclusion proof (or a
  signed promise for one not yet integrated), a signed tree head and the platform's public keys.
  Checking it needs no network and no trust in the platform's server.

How to verify
  python -m kadun.evidence.offline {name}      (kadun installed)
  or  kadun verify {name}
  or  python verify.py {name}                  (Python 3.11+ and pip install cryptography only;
                                                 verify.py is in this bundle; compare it with the
                                                 kadun source repository's copy)
  Optional: --against OLD-head.json, a head you kept before, checks the log was not rewritten since.
  The public keys are also published at /transparency/keys.json on the site: compare them.
  PASS means every entry, attachment, proof and signature in the bundle checks out; FAIL lists
  each problem.
"""
