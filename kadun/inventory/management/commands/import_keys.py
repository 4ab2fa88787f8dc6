from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kadun.catalog.models import Product
from kadun.core.errors import DomainError
from kadun.inventory.services import keys_import, parse_upload


class Command(BaseCommand):
    help = "Import card keys for a product from a .txt (one per line) or .csv file."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--product", type=int, required=True)

    def handle(self, *args, file, product, **options):
        target = Product.objects.filter(pk=product).first()
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
        r = report.as_dict()
        self.stdout.write(
            f"imported {r['imported']} of {r['total_lines']}; duplicate in file {r['duplicate_in_file']}, "
            f"already on the platform {r['duplicate_existing']}, invalid {r['invalid']}"
        )
        for label, key in (("duplicate in file", "duplicate_in_file_lines"), ("already on the platform", "duplicate_existing_lines"), ("invalid", "invalid_lines")):
            if r[key]:
                self.stdout.write(f"  {label}: lines {', '.join(map(str, r[key][:50]))}{' ...' if len(r[key]) > 50 else ''}")
