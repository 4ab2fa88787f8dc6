from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kadun.catalog.selectors import product_by_id
from kadun.core.errors import DomainError
from kadun.inventory.services import keys_import, parse_upload


class Command(BaseCommand):
    help = "Import card keys for a product from a .txt (one per line) or .csv file."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--product", type=int, required=True)

    def handle(self, *args, file, product, **options):
        target = product_by_id(product)
        if target is None:
            raise CommandError(f"product {product} not found")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            lines = parse_upload(path.name, path.read_bytes())
            with tqdm(total=len(lines), unit="key", desc="import", file=self.stderr._out) as bar:
                report = keys_import(product=target, lines=lines, source="cli", progress=bar.update)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        # The operator at the shell sees what merchants are never told: the lines held for
        # risk review because another shop holds the key (the operator can read the database).
        r = report.as_dict()
        self.stdout.write(
            f"imported {report.imported} of {r['total_lines']}; held for risk review {len(report.held)}, "
            f"duplicate in file {r['duplicate_in_file']}, already in this shop {r['duplicate_existing']}, invalid {r['invalid']}"
        )
        listed = (
            ("duplicate in file", r["duplicate_in_file_lines"]), ("already in this shop", r["duplicate_existing_lines"]),
            ("invalid", r["invalid_lines"]), ("held for risk review", sorted(report.held)),
        )
        for label, numbers in listed:
            if numbers:
                self.stdout.write(f"  {label}: lines {', '.join(map(str, numbers[:50]))}{' ...' if len(numbers) > 50 else ''}")
