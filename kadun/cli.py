"""The ``kadun`` command.

``kadun serve | sweep | demo | import-keys | ledger-check | rotate-keys`` plus every Django
management command (``kadun migrate``, ``kadun createsuperuser`` ...). Dashes become
underscores, so ``kadun import-keys`` runs the ``import_keys`` management command.
``kadun verify BUNDLE.zip`` checks an evidence bundle offline, without Django or a database
(``kadun.evidence.offline``).
"""
from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and argv[1] == "verify":
        from kadun.evidence.offline.cli import main as verify

        sys.exit(verify(argv[2:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kadun.settings")
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
