"""Checking an evidence bundle (存证包) offline: the standard library, ``cryptography``, and the
two Django-free modules the log itself hashes with (``kadun.evidence.canonical`` and
``kadun.evidence.merkle``). Nothing here talks to kadun's server or database: a bundle is
verified by its signatures and proofs alone.

``verify_bundle(data)`` returns a ``Report``; every failed check is a ``Problem`` with a stable
``code``, where it was found (file, entry) and what, in Chinese and English. ``onefile.py``
builds the same code into one script (``verify.py`` inside each bundle).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kadun.evidence import canonical, merkle  # onefile: inlined

BUNDLE_TYPE = "kadun.evidence.bundle"
REQUIRED = ("manifest.json", "signature.json", "entries.jsonl", "proofs.json", "head.json", "keys.json")
UNLISTED_OK = {"manifest.json", "signature.json"}
LEAF_KEYS = {"v", "id", "time", "kind", "actor", "subject", "content_hash"}
HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class Problem:
    code: str
    where: str
    zh: str
    en: str


@dataclass
class Report:
    subject: str = ""
    problems: list[Problem] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    entries: int = 0
    included: int = 0
    promised: int = 0
    attachments: int = 0
    head: dict | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def codes(self) -> set[str]:
        return {p.code for p in self.problems}

    def fail(self, code: str, where: str, zh: str, en: str) -> None:
        self.problems.append(Problem(code, where, zh, en))


class _Stop(Exception):
    """The bundle cannot be read further (not a zip, a required file missing or not JSON)."""


# --- keys and signatures ----------------------------------------------------------------------


def _b64(text) -> bytes:
    return base64.b64decode(str(text), validate=True)


def load_keys(keys_doc, report: Report) -> dict[str, dict]:
    """key_id → {"key", "active_from", "retired_at"}; a key whose id is not the SHA-256 of its
    raw bytes is refused."""
    out: dict[str, dict] = {}
    if not isinstance(keys_doc, dict) or not isinstance(keys_doc.get("keys"), list):
        report.fail("keys_invalid", "keys.json", "公钥文件格式不对", "keys.json is not a key list")
        return out
    for i, item in enumerate(keys_doc["keys"]):
        where = f"keys.json keys[{i}]"
        try:
            raw = _b64(item["public_key"])
            key = Ed25519PublicKey.from_public_bytes(raw)
        except (KeyError, TypeError, ValueError, binascii.Error):
            report.fail("keys_invalid", where, "公钥无法读取（应为 Ed25519 原始公钥的 base64）", "public key unreadable (base64 of a raw Ed25519 key expected)")
            continue
        if item.get("algorithm") != "Ed25519" or item.get("key_id") != hashlib.sha256(raw).hexdigest():
            report.fail("keys_invalid", where, "key_id 不是公钥的 SHA-256，或算法不是 Ed25519",
                "key_id is not the SHA-256 of the key, or the algorithm is not Ed25519")
            continue
        out[item["key_id"]] = {"key": key, "active_from": item.get("active_from"), "retired_at": item.get("retired_at")}
    return out


def signed_by(keys: dict[str, dict], key_id, signature, message: bytes) -> str:
    """"" if ``signature`` over ``message`` is by the key ``key_id`` of keys.json, else the code."""
    entry = keys.get(key_id) if isinstance(key_id, str) else None
    if entry is None:
        return "unknown_key"
    try:
        entry["key"].verify(_b64(signature), message)
    except (InvalidSignature, ValueError, TypeError, binascii.Error):
        return "bad_signature"
    return ""


def head_message(log_id: str, head: dict) -> bytes:
    return canonical.dumps({
        "v": 1, "type": "tree_head", "log": log_id, "tree_size": head["tree_size"], "root_hash": head["root_hash"], "timestamp": head["timestamp"],
    })


def promise_message(log_id: str, promise: dict) -> bytes:
    return canonical.dumps({
        "v": 1, "type": "promise", "log": log_id, "entry_id": promise["entry_id"], "leaf_hash": promise["leaf_hash"],
        "integrate_by": promise["integrate_by"],
    })


def manifest_message(log_id: str, manifest_bytes: bytes) -> bytes:
    return canonical.dumps({"v": 1, "type": "bundle", "log": log_id, "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest()})


def check_head(head, keys: dict, log_id: str, report: Report, where: str = "head.json") -> bool:
    """A signed tree head: well formed, signed by a key of keys.json that was not retired."""
    try:
        size, root = int(head["tree_size"]), head["root_hash"]
        ok_form = size >= 0 and isinstance(root, str) and HEX64.match(root) and isinstance(head["timestamp"], str)
        message = head_message(log_id, head)
    except (KeyError, TypeError, ValueError):
        ok_form, message = False, b""
    if not ok_form:
        report.fail("head_invalid", where, "树头格式不对", "the tree head is malformed")
        return False
    code = signed_by(keys, head.get("key_id"), head.get("signature"), message)
    if code == "unknown_key":
        report.fail("unknown_key", where, "树头的签名密钥不在 keys.json 中", "the head is signed by a key not in keys.json")
        return False
    if code:
        report.fail("head_signature", where, "树头签名无效（树头被改动，或不是该日志签发的）",
            "the head's signature does not verify (altered, or not this log's)")
        return False
    retired = keys[head["key_id"]].get("retired_at")
    if retired and head["timestamp"] > retired:
        report.fail("key_retired", where, f"签名密钥已于 {retired} 停用，树头时间在其后", f"the signing key was retired at {retired}, before the head's time")
        return False
    return True


# --- reading the bundle ---------------------------------------------------------------------


def _read(data) -> tuple[dict[str, bytes], Report]:
    report = Report()
    try:
        with zipfile.ZipFile(data if not isinstance(data, bytes) else io.BytesIO(data)) as zf:
            files = {info.filename: zf.read(info) for info in zf.infolist() if not info.is_dir()}
    except (zipfile.BadZipFile, OSError, ValueError):
        report.fail("bundle_unreadable", "BUNDLE", "不是有效的 zip 文件", "not a readable zip file")
        raise _Stop(report) from None
    missing = [name for name in REQUIRED if name not in files]
    for name in missing:
        report.fail("file_missing", name, "缺少此文件", "file missing from the bundle")
    if missing:
        raise _Stop(report)
    return files, report


def _json(files: dict[str, bytes], name: str, report: Report):
    try:
        return json.loads(files[name].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        report.fail("file_invalid", name, "不是有效的 JSON", "not valid JSON")
        raise _Stop(report) from None


def _entries(files: dict[str, bytes], report: Report) -> list[dict]:
    out = []
    for n, line in enumerate(files["entries.jsonl"].decode("utf-8", "replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict) or not isinstance(row.get("leaf"), dict) or not isinstance(row.get("body"), str):
                raise ValueError
            int(row["id"])
        except (ValueError, KeyError, TypeError):
            report.fail("entry_invalid", f"entries.jsonl line {n}", "这一行不是有效的存证条目", "this line is not a valid entry")
            continue
        out.append(row)
    return out


# --- the checks -------------------------------------------------------------------------------


def check_manifest(files: dict[str, bytes], manifest: dict, report: Report) -> None:
    listed = set()
    for item in manifest.get("files") or []:
        path = item.get("path")
        listed.add(path)
        if path not in files:
            report.fail("file_missing", str(path), "清单列出的文件不在包中", "a file the manifest lists is missing")
        elif hashlib.sha256(files[path]).hexdigest() != item.get("sha256"):
            report.fail("manifest_hash", str(path), "文件的 SHA-256 与清单不符（文件被改动）", "the file's SHA-256 differs from the manifest (altered)")
    for path in sorted(set(files) - listed - UNLISTED_OK):
        report.fail("file_unlisted", path, "包中有清单未列出的文件", "a file in the bundle is not in the manifest")


def check_entry(row: dict, report: Report) -> bytes | None:
    """The entry's leaf hash, if its leaf document and body agree; else None (and a problem)."""
    eid, leaf = row["id"], row["leaf"]
    where = f"entries.jsonl #{eid}"
    if set(leaf) != LEAF_KEYS or leaf.get("id") != eid:
        report.fail("leaf_mismatch", where, "叶子文档的字段或编号与条目不符", "the leaf document's fields or id do not match the entry")
        return None
    if hashlib.sha256(row["body"].encode("utf-8")).hexdigest() != leaf.get("content_hash"):
        report.fail("body_hash", where, "正文的 SHA-256 与叶子中的 content_hash 不符（正文被改动）",
            "the body does not hash to the leaf's content_hash (altered)")
        return None
    try:
        return merkle.leaf_hash(canonical.dumps(leaf))
    except TypeError:
        report.fail("leaf_mismatch", where, "叶子文档不是规范 JSON（含小数等）", "the leaf document is not canonical JSON")
        return None


def check_entries_order(entries: list[dict], manifest: dict, report: Report) -> None:
    ids = [row["id"] for row in entries]
    if ids != sorted(set(ids)):
        report.fail("entry_order", "entries.jsonl", "条目未按编号升序排列，或有重复（顺序被改动）",
            "entries are not in ascending id order, or repeat (reordered)")
    listed = manifest.get("entries") or []
    for eid in sorted(set(listed) - set(ids)):
        report.fail("entry_missing", f"entries.jsonl #{eid}", "清单列出的条目不在 entries.jsonl 中（条目被删除）",
            "an entry the manifest lists is missing (deleted)")
    for eid in sorted(set(ids) - set(listed)):
        report.fail("entry_unlisted", f"entries.jsonl #{eid}", "条目不在清单中", "an entry not listed in the manifest")


def check_proofs(entries: list[dict], leaves: dict, proofs: dict, head, keys: dict, log_id: str, report: Report) -> None:
    inclusion, promises = proofs.get("inclusion") or {}, proofs.get("promises") or {}
    size = head["tree_size"] if head else 0
    root = bytes.fromhex(head["root_hash"]) if head else b""
    for row in entries:
        eid, where = row["id"], f"proofs.json #{row['id']}"
        leaf = leaves.get(eid)
        if leaf is None:
            continue  # the entry itself failed; nothing to prove
        proof, promise = inclusion.get(str(eid)), promises.get(str(eid))
        if proof is not None:
            try:
                good = (proof["leaf_index"] == row.get("leaf_index") and proof["tree_size"] == size
                        and merkle.verify_inclusion(int(proof["leaf_index"]), size, leaf, [bytes.fromhex(p) for p in proof["path"]], root))
            except (KeyError, TypeError, ValueError):
                good = False
            if good:
                report.included += 1
            else:
                report.fail("inclusion", where, "包含证明不成立：该条目不在签名树头的树中（条目、证明或树头被改动）",
                            "the inclusion proof fails: the entry is not in the signed head's tree (entry, proof or head altered)")
        elif promise is not None:
            if isinstance(row.get("leaf_index"), int) and row["leaf_index"] < size:
                report.fail("proof_missing", where, "条目已收录于树头范围内，却只有承诺、没有包含证明",
                    "the entry is inside the head's tree but has only a promise")
                continue
            try:
                code = "promise_mismatch" if (promise["entry_id"] != eid or promise["leaf_hash"] != leaf.hex()) else signed_by(
                    keys, promise.get("key_id"), promise.get("signature"), promise_message(log_id, promise))
            except (KeyError, TypeError):
                code = "promise_mismatch"
            if code == "promise_mismatch":
                report.fail(code, where, "收录承诺与条目不符（编号或叶子哈希不同）", "the promise does not match the entry (id or leaf hash)")
            elif code:
                report.fail("promise_signature", where, "收录承诺的签名无效", "the promise's signature does not verify")
            else:
                report.promised += 1
                report.notes.append((f"条目 #{eid} 尚未收录，平台承诺于 {promise['integrate_by']} 前收录",
                                     f"entry #{eid} is not yet in the tree; the log promised to integrate it by {promise['integrate_by']}"))
        else:
            report.fail("proof_missing", where, "条目既无包含证明，也无收录承诺", "the entry has neither an inclusion proof nor a promise")
    known = {str(row["id"]) for row in entries}
    for eid in sorted((set(inclusion) | set(promises)) - known):
        report.fail("entry_missing", f"proofs.json #{eid}", "有证明却没有对应条目（条目被删除）", "a proof for an entry that is not in the bundle (deleted)")


def _hashes_in(body: str) -> set[str]:
    return set(re.findall(r"[0-9a-f]{64}", body))


def check_attachments(files: dict[str, bytes], manifest: dict, entries: list[dict], report: Report) -> None:
    bodies = {row["id"]: row["body"] for row in entries}
    for item in manifest.get("attachments") or []:
        digest, path = str(item.get("sha256")), str(item.get("path"))
        where = path
        if path not in files:
            continue  # reported with the manifest's files
        if path != f"attachments/{digest}" or hashlib.sha256(files[path]).hexdigest() != digest:
            report.fail("attachment_hash", where, "附件的 SHA-256 与条目引用的哈希不符（附件被改动）",
                "the attachment does not hash to what the entries cite (altered)")
            continue
        cited = [eid for eid in item.get("cited_by") or [] if digest in _hashes_in(bodies.get(eid, ""))]
        if not cited:
            report.fail("attachment_uncited", where, "没有任何条目引用此附件的哈希", "no entry cites this attachment's hash")
            continue
        report.attachments += 1


def check_against(old, head, keys: dict, log_id: str, files: dict, consistency, report: Report) -> None:
    """The bundle's head extends ``old`` (a head the user kept): a consistency proof between them."""
    where = "--against"
    if not check_head(old, keys, log_id, report, where=where) or not head:
        return
    first, second = old["tree_size"], head["tree_size"]
    if first > second:
        report.fail("against_newer", where, "您保存的树头比本包的树头更新，请下载新的存证包", "your head is newer than this bundle's: download a newer bundle")
        return
    if consistency is None and "consistency.json" in files:
        consistency = json.loads(files["consistency.json"].decode("utf-8"))
    if first == second:
        good = old["root_hash"] == head["root_hash"]
    elif not consistency or consistency.get("first") != first or consistency.get("second") != second:
        report.fail("consistency_missing", where, f"缺少从 {first} 到 {second} 的一致性证明（下载时加 ?since={first}）",
                    f"no consistency proof from size {first} to {second} (download with ?since={first})")
        return
    else:
        good = merkle.verify_consistency(first, second, bytes.fromhex(old["root_hash"]), bytes.fromhex(head["root_hash"]),
                                         [bytes.fromhex(p) for p in consistency.get("path") or []])
    if good:
        report.notes.append((f"本包树头（{second}）是您保存的树头（{first}）的延续，日志未被改写",
            f"this head ({second}) extends your head ({first}): the log was not rewritten"))
    else:
        report.fail("consistency", where, "一致性证明不成立：日志在您保存的树头之后被改写过",
            "the consistency proof fails: the log was rewritten after the head you kept")


def verify_bundle(data, *, against: dict | None = None, consistency: dict | None = None, trusted_keys: dict | None = None) -> Report:
    """Every check on a bundle (bytes, a path or a file object). ``trusted_keys``: a keys.json
    the user got elsewhere (the site's /transparency/keys.json) to check against instead of the
    bundle's own — a bundle re-signed with another key then fails."""
    try:
        files, report = _read(data)
        manifest, proofs = _json(files, "manifest.json", report), _json(files, "proofs.json", report)
        head, keys_doc, sig = _json(files, "head.json", report), _json(files, "keys.json", report), _json(files, "signature.json", report)
    except _Stop as stop:
        return stop.args[0]
    if not isinstance(manifest, dict) or manifest.get("type") != BUNDLE_TYPE:
        report.fail("file_invalid", "manifest.json", "不是 kadun 存证包的清单", "not a kadun evidence bundle manifest")
        return report
    subject = manifest.get("subject") or {}
    report.subject = f"{subject.get('type', '')} {subject.get('no') or subject.get('id', '')}".strip()
    log_id = str((keys_doc or {}).get("log") or manifest.get("log") or "")
    if trusted_keys is not None:
        keys_doc = trusted_keys
        log_id = str(trusted_keys.get("log") or log_id)
    keys = load_keys(keys_doc, report)
    if manifest.get("log") != log_id:
        report.fail("log_mismatch", "manifest.json", "清单与公钥文件属于不同的日志", "the manifest and keys.json name different logs")
    if signed_by(keys, sig.get("key_id") if isinstance(sig, dict) else None, (sig or {}).get("signature") if isinstance(sig, dict) else None,
                 manifest_message(log_id, files["manifest.json"])):
        report.fail("manifest_signature", "signature.json", "清单签名无效（清单被改动，条目可能被增删）",
            "the manifest's signature does not verify (altered: entries may have been added or removed)")
    check_manifest(files, manifest, report)
    head_ok = head is None or check_head(head, keys, log_id, report)
    report.head = head
    entries = _entries(files, report)
    report.entries = len(entries)
    check_entries_order(entries, manifest, report)
    leaves = {}
    for row in entries:
        leaf = check_entry(row, report)
        if leaf is not None:
            leaves[row["id"]] = leaf
    if head_ok:
        check_proofs(entries, leaves, proofs if isinstance(proofs, dict) else {}, head, keys, log_id, report)
    check_attachments(files, manifest, entries, report)
    for digest in manifest.get("unavailable") or []:
        report.notes.append((f"被引用的附件 {str(digest)[:16]}… 平台存储中缺失或已不符，未附上",
                             f"cited attachment {str(digest)[:16]}… is missing from the platform's storage or no longer matches: not included"))
    if against is not None:
        check_against(against, head if head_ok else None, keys, log_id, files, consistency, report)
    return report
