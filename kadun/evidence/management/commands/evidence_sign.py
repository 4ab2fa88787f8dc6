import json

from django.core.management.base import BaseCommand

from kadun.evidence import selectors
from kadun.evidence.services import entries_integrate, heads_sign


class Command(BaseCommand):
    help = "Integrate the pending evidence entries that can be, and sign a tree head now (kadun evidence-sign)."

    def add_arguments(self, parser):
        parser.add_argument("--no-integrate", action="store_true", help="sign the tree as it is, integrating nothing")

    def handle(self, *args, no_integrate, **options):
        integrated = 0
        if not no_integrate:
            while n := entries_integrate():
                integrated += n
        head = heads_sign(force=True)
        if head is None:
            head = selectors.latest_head()
            self.stdout.write(f"integrated {integrated}; no new entries since the latest head:")
        else:
            self.stdout.write(f"integrated {integrated}; signed:")
        self.stdout.write(json.dumps(head, ensure_ascii=False))
