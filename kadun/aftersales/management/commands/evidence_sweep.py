"""``kadun evidence-sweep``: delete staged evidence files a crash left behind (files under
``evidence-staging/`` older than an hour that no committed evidence row waits for)."""
from django.core.management.base import BaseCommand

from kadun.aftersales.evidence import staging_sweep


class Command(BaseCommand):
    help = "Delete orphaned staged evidence files (a crash between staging and commit)."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=3600, help="seconds (default 3600)")

    def handle(self, *args, older_than: int, **options):
        deleted = staging_sweep(older_than_seconds=older_than)
        self.stdout.write(f"{deleted} staged file(s) deleted")
