"""Files written after commit (house rule 5), crash-safe: staged under a name nothing serves,
recorded by a row in the caller's transaction, moved to the final name after commit (at once,
and by the outbox should the process die first). Used by refund evidence and case attachments.

Publishing is idempotent (a complete final file is left alone), so both paths may run; a
transaction that rolls back leaves orphans its caller deletes (``discard``), and the sweep
commands remove any a crash left behind."""
from __future__ import annotations

import logging
import posixpath

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

log = logging.getLogger("kadun.files")


def staging_name(final_name: str, staging_dir: str) -> str:
    return posixpath.join(staging_dir, posixpath.basename(final_name))


def stage(name: str, data: bytes) -> None:
    """Write ``data`` under the staging name. Names carry the content's hash, so a file already
    there (left by an attempt that failed) holds the same bytes unless it was cut short."""
    if default_storage.exists(name):
        if default_storage.size(name) == len(data):
            return
        default_storage.delete(name)
    written = default_storage.save(name, ContentFile(data))
    if written != name:  # written meanwhile by a concurrent attempt with the same bytes
        default_storage.delete(written)


def discard(staged: list[str]) -> None:
    """Delete staged files of a transaction that did not commit."""
    for name in staged:
        try:
            default_storage.delete(name)
        except OSError:
            log.warning("could not delete staged file %s", name)


def publish(final_name: str, size: int, staging_dir: str) -> None:
    """Move one file from staging to its final name. Idempotent."""
    staged_name = staging_name(final_name, staging_dir)
    if default_storage.exists(final_name):
        if default_storage.size(final_name) == size:
            default_storage.delete(staged_name)
            return
        default_storage.delete(final_name)  # a copy cut short by a crash: write it again
    with default_storage.open(staged_name, "rb") as staged:
        written = default_storage.save(final_name, staged)
    if written != final_name:  # another publisher won the race meanwhile
        default_storage.delete(written)
    default_storage.delete(staged_name)


def read_committed(final_name: str, staging_dir: str) -> bytes | None:
    """The bytes of a committed file, published or still in staging (the worker not run yet);
    None when neither exists. Reads only (``kadun evidence-check``)."""
    for name in (final_name, staging_name(final_name, staging_dir)):
        if default_storage.exists(name):
            with default_storage.open(name, "rb") as fh:
                return fh.read()
    return None
