from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve kadun (waitress) with the deadline sweeper and outbox worker running in-process."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--connection-limit", type=int, default=1000, help="open connections waitress accepts")
        parser.add_argument("--no-sweeper", action="store_true", help="run the sweeper elsewhere (kadun sweep)")

    def handle(self, *args, host, port, threads, no_sweeper, connection_limit, **options):
        from waitress import serve

        from kadun.deadlines.worker import start_in_thread
        from kadun.wsgi import application

        if not no_sweeper:
            start_in_thread()
        database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        self.stdout.write(f"kadun serving on http://{host}:{port}/  (database: {database}, sweeper: {'off' if no_sweeper else 'in-process'})")
        serve(application, host=host, port=port, threads=threads, ident="kadun", clear_untrusted_proxy_headers=True,
              connection_limit=connection_limit)
