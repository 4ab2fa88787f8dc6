from django.core.management.base import BaseCommand

from kadun.backoffice.selectors import platform_check


class Command(BaseCommand):
    help = "Verify every ledger invariant over the whole database; exit 1 on any violation."

    def handle(self, *args, **options):
        report = platform_check()
        for name, count in report.checked.items():
            self.stdout.write(f"checked {count} {name}")
        if report.ok:
            self.stdout.write(self.style.SUCCESS("ledger-check: OK"))
            return
        for problem in report.problems:
            self.stderr.write(f"VIOLATION {problem}")
        self.stderr.write(f"ledger-check: {len(report.problems)} violation(s)")
        raise SystemExit(1)
