"""``kadun evidence-check``: does the log still say what the rows say?

For every registered source it walks the source's rows and its entries side by side, both in id
order and in chunks (``iterator``), so a table of any size is read once in constant memory:

- **changed**: the fact recomputed from the row as it is now does not hash to the content hash of
  its (latest) entry — a reveal's time, a decision's amount edited in the database. A personal
  field blanked by account anonymisation is not a change (``privacy.restore_erased``).
- **missing**: a row that is a fact (``Source.covers``) without an entry.
- **deleted**: an entry whose row is gone.
- **duplicate**: two entries for one row of a source that is a fact only once.
- **file**: an attachment whose stored bytes no longer hash to the logged SHA-256 (or are gone).
- **entry**: an entry whose body no longer hashes to its own content hash.
- **tree**: an integrated entry whose leaf hash is not the hash of its leaf document, a gap in
  the leaf indices, or a root over the integrated entries that is not the latest signed head's.
  (Skipped when no head has been signed yet.)
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.apps import apps

from kadun.evidence import canonical, merkle, privacy
from kadun.evidence.models import Entry
from kadun.evidence.registry import SOURCES, Source

CHUNK = 2000
ENTRY_FIELDS = ("id", "source_id", "kind", "subject_type", "subject_id", "actor_role", "actor_id", "body", "content_hash")


@dataclass(frozen=True)
class Finding:
    problem: str  # changed / missing / deleted / duplicate / file / entry / tree
    source: str
    row_id: int | None = None
    entry_id: int | None = None
    detail: str = ""

    def __str__(self) -> str:
        where = f"{self.source} #{self.row_id}" if self.row_id is not None else self.source
        entry = f" (entry {self.entry_id})" if self.entry_id is not None else ""
        return f"{self.problem.upper()} {where}{entry}{': ' + self.detail if self.detail else ''}"


@dataclass
class Report:
    checked: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def evidence_check(*, chunk: int = CHUNK, sources: list[str] | None = None, tree: bool = True) -> Report:
    report = Report()
    for name in sorted(sources or SOURCES):
        _check_source(SOURCES[name], report, chunk)
    _check_entries(report, chunk)
    if tree:
        _check_tree(report, chunk)
    return report


# --- one source: its rows against its entries ---------------------------------------------------


def _rows(src: Source, chunk: int) -> Iterator:
    qs = apps.get_model(src.model)._default_manager.all()
    if src.covers is not None:
        qs = qs.filter(src.covers())
    if src.related:
        qs = qs.select_related(*src.related)
    return qs.order_by("pk").iterator(chunk_size=chunk)


def _entry_groups(name: str, chunk: int) -> Iterator[tuple[int, list[dict]]]:
    """The source's entries, grouped by row id, in row-id order."""
    qs = Entry.objects.filter(source=name).order_by("source_id", "id").values(*ENTRY_FIELDS)
    current, group = None, []
    for entry in qs.iterator(chunk_size=chunk):
        if entry["source_id"] != current and group:
            yield current, group
            group = []
        current = entry["source_id"]
        group.append(entry)
    if group:
        yield current, group


def _check_source(src: Source, report: Report, chunk: int) -> None:
    rows = _rows(src, chunk)
    groups = _entry_groups(src.name, chunk)
    row, group = next(rows, None), next(groups, None)
    seen = 0
    orphans: list[tuple[int, list[dict]]] = []  # entries whose row is not (now) a fact: gone, or no longer covered
    while row is not None or group is not None:
        orphan = group is not None and (row is None or group[0] is None or group[0] < row.pk)
        if not orphan and (group is None or row.pk < group[0]):
            report.findings.append(Finding("missing", src.name, row.pk, detail="a fact without an entry"))
            seen += 1
            row = next(rows, None)
        elif orphan:
            orphans.append(group)
            if len(orphans) >= chunk:
                _check_orphans(src, orphans, report)
                orphans = []
            group = next(groups, None)
        else:
            _compare(src, row, group[1], report)
            seen += 1
            row, group = next(rows, None), next(groups, None)
    _check_orphans(src, orphans, report)
    report.checked[src.name] = seen


def _check_orphans(src: Source, orphans: list[tuple[int, list[dict]]], report: Report) -> None:
    if not orphans:
        return
    ids = [row_id for row_id, _ in orphans if row_id is not None]
    existing = set(apps.get_model(src.model)._default_manager.filter(pk__in=ids).values_list("pk", flat=True))
    for row_id, entries in orphans:
        if row_id is None:
            report.findings.append(Finding("deleted", src.name, None, entries[-1]["id"], "entry without a row id"))
        elif row_id not in existing:
            report.findings.append(Finding("deleted", src.name, row_id, entries[-1]["id"], "the row is gone"))
        elif not src.refires:
            report.findings.append(Finding("changed", src.name, row_id, entries[-1]["id"], "the row is no longer a fact"))


def _compare(src: Source, row, entries: list[dict], report: Report) -> None:
    if len(entries) > 1 and not src.refires:
        report.findings.append(Finding("duplicate", src.name, row.pk, entries[-1]["id"], f"{len(entries)} entries for one fact"))
    entry = entries[-1]
    fact = src.fact(row)
    logged = json.loads(entry["body"])
    body = canonical.dumps(privacy.at_record(privacy.restore_erased(fact.body, logged)))
    differences = []
    if canonical.sha256_hex(body) != entry["content_hash"]:
        now = json.loads(body)
        fields = sorted(k for k in set(now) | set(logged) if now.get(k) != logged.get(k)) if isinstance(now, dict) and isinstance(logged, dict) else []
        differences.append("body" + (f" ({', '.join(fields)})" if fields else ""))
    head = (fact.kind, fact.subject_type, fact.subject_id, fact.actor_role, fact.actor_id)
    if head != (entry["kind"], entry["subject_type"], entry["subject_id"], entry["actor_role"], entry["actor_id"]):
        differences.append("kind/subject/actor")
    if differences:
        report.findings.append(Finding("changed", src.name, row.pk, entry["id"], "the row no longer matches its entry: " + "; ".join(differences)))
    if src.file_of is not None:
        _check_file(src, row, logged, entry, report)


def _check_file(src: Source, row, logged: dict, entry: dict, report: Report) -> None:
    data = src.file_of(row)
    if data is None:
        report.findings.append(Finding("file", src.name, row.pk, entry["id"], "the stored file is gone"))
    elif canonical.sha256_hex(data) != logged.get("sha256"):
        report.findings.append(Finding("file", src.name, row.pk, entry["id"], "the stored file no longer hashes to the logged SHA-256"))


# --- every entry: its own hash; entries of no known source -------------------------------------


def _check_entries(report: Report, chunk: int) -> None:
    n = 0
    for entry in Entry.objects.order_by("id").values("id", "source", "body", "content_hash").iterator(chunk_size=chunk):
        n += 1
        if canonical.sha256_hex(entry["body"].encode("utf-8")) != entry["content_hash"]:
            report.findings.append(Finding("entry", entry["source"] or "(fact)", None, entry["id"], "the body no longer hashes to its content hash"))
        if entry["source"] and entry["source"] not in SOURCES:
            report.findings.append(Finding("entry", entry["source"], None, entry["id"], "no such source is registered"))
    report.checked["entries"] = n


# --- the tree: leaf hashes, leaf indices, and the root against the latest signed head ---------


def latest_head() -> dict | None:
    """The latest signed tree head, when the sequencer (``evidence.selectors.latest_head``) exists."""
    try:
        from kadun.evidence import selectors
    except ImportError:
        return None
    reader = getattr(selectors, "latest_head", None)
    return reader() if reader else None


class _Root:
    """RFC 6962 tree root over leaf hashes fed in order, in O(log n) memory: the perfect subtrees
    of the binary decomposition of n, folded right to left at the end (the RFC's split)."""

    def __init__(self):
        self.stack: list[tuple[int, bytes]] = []
        self.size = 0

    def add(self, leaf: bytes) -> None:
        size, value = 1, leaf
        while self.stack and self.stack[-1][0] == size:
            left = self.stack.pop()[1]
            size, value = size * 2, merkle.node_hash(left, value)
        self.stack.append((size, value))
        self.size += 1

    def root(self) -> bytes:
        if not self.stack:
            return merkle.EMPTY_ROOT
        value = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            value = merkle.node_hash(left, value)
        return value


def _check_tree(report: Report, chunk: int) -> None:
    head = latest_head()
    if head is None:
        report.checked["tree"] = 0
        return
    size = int(head["tree_size"])
    tree = _Root()
    qs = Entry.objects.filter(leaf_index__isnull=False, leaf_index__lt=size).order_by("leaf_index")
    for entry in qs.iterator(chunk_size=chunk):
        if entry.leaf_index != tree.size:
            report.findings.append(Finding("tree", "tree", None, entry.id, f"leaf index {entry.leaf_index} where {tree.size} was expected"))
            return
        leaf = merkle.leaf_hash(canonical.dumps(entry.leaf_document()))
        if leaf.hex() != entry.leaf_hash:
            report.findings.append(Finding("tree", "tree", None, entry.id, "the entry no longer hashes to its leaf hash"))
        tree.add(leaf)
    if tree.size != size:
        report.findings.append(Finding("tree", "tree", None, None, f"the signed head has {size} leaves, the log {tree.size}"))
    elif tree.root().hex() != head["root_hash"]:
        report.findings.append(Finding("tree", "tree", None, None, f"the root over {size} leaves is not the signed head's"))
    report.checked["tree"] = tree.size
