"""The one seam between bundles / the dossier and the log's tree (helper evtree's selectors,
signing and settings, named in the evidence contract). Everything the bundle builder reads from
the tree goes through ``current()``; tests swap in ``kadun.evidence.tests.bundle_kit.KitLog``
(an InMemoryTree and a test key) with ``use(...)``."""
from __future__ import annotations

from django.conf import settings


class TreeLog:
    """The log as evtree serves it."""

    def log_id(self) -> str:
        return getattr(settings, "KADUN_EVIDENCE_LOG_ID", "kadun")

    def entries_of(self, subject_type: str, subject_id: int):
        from kadun.evidence import selectors

        return selectors.entries_of(subject_type, subject_id)

    def latest_head(self) -> dict | None:
        from kadun.evidence import selectors

        return selectors.latest_head()

    def inclusion_proof(self, entry, tree_size: int) -> dict | None:
        from kadun.evidence import selectors

        return selectors.inclusion_proof(entry, tree_size=tree_size)

    def consistency_proof(self, first: int, second: int) -> dict:
        from kadun.evidence import selectors

        return selectors.consistency_proof(first, second)

    def promise_of(self, entry) -> dict:
        from kadun.evidence import selectors

        return selectors.promise_of(entry)

    def public_keys(self) -> dict:
        from kadun.evidence import selectors

        return selectors.public_keys()

    def sign(self, message: bytes) -> tuple[str, str]:
        from kadun.evidence import signing

        return signing.sign(message)


_current = TreeLog()


def current():
    return _current


def use(log) -> object:
    """Swap the log (tests); returns the previous one."""
    global _current
    previous, _current = _current, log
    return previous
