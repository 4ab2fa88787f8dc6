from django.core.management.base import BaseCommand

from kadun.evidence.check import evidence_check


class Command(BaseCommand):
    help = "Recompute every logged fact from its row; find facts without entries, entries without rows, changed files, a broken tree. Exit 1 on any finding."

    def add_arguments(self, parser):
        parser.add_argument("--source", action="append", help="check only this source (repeatable)")
        parser.add_argument("--chunk", type=int, default=2000, help="rows read per query")

    def handle(self, *args, **options):
        report = evidence_check(chunk=options["chunk"], sources=options["source"])
        for name, count in report.checked.items():
            self.stdout.write(f"checked {count} {name}")
        if report.ok:
            self.stdout.write(self.style.SUCCESS("evidence-check: OK"))
            return
        for finding in report.findings:
            self.stderr.write(str(finding))
        counts: dict[str, int] = {}
        for finding in report.findings:
            counts[finding.problem] = counts.get(finding.problem, 0) + 1
        summary = ", ".join(f"{n} {problem}" for problem, n in sorted(counts.items()))
        self.stderr.write(f"evidence-check: {len(report.findings)} finding(s) ({summary})")
        raise SystemExit(1)
