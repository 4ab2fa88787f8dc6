from django.conf import settings
from django.core.management.base import BaseCommand


def behind_proxy() -> bool:
    """A reverse proxy is configured (docs/deploy.md): its forwarded headers must reach kadun."""
    return bool(settings.KADUN_TRUSTED_PROXIES or settings.KADUN_PROXY_COUNT or settings.SECURE_PROXY_SSL_HEADER)


def proxy_header_options() -> dict:
    """What waitress does with X-Forwarded-* / Forwarded.

    Behind a configured proxy waitress hands them to Django untouched: kadun's own
    ``kadun.core.client_ip`` decides whom to believe (only trusted proxies, right-most untrusted
    hop) and Django's ``SECURE_PROXY_SSL_HEADER`` reads the scheme. No ``trusted_proxy`` is given
    to waitress, so it neither strips the headers nor rewrites ``REMOTE_ADDR`` / the URL scheme
    by rules of its own. With no proxy configured nothing in kadun reads them, and waitress
    strips them, so no library further down can be fooled by a client that writes them."""
    return {"clear_untrusted_proxy_headers": not behind_proxy()}


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
        self.stdout.write(
            f"kadun serving on http://{host}:{port}/  (database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
            f"sweeper: {'off' if no_sweeper else 'in-process'}, "
            f"proxy headers: {'passed to kadun' if behind_proxy() else 'stripped (no proxy configured)'})"
        )
        serve(application, host=host, port=port, threads=threads, ident="kadun", connection_limit=connection_limit, **proxy_header_options())
