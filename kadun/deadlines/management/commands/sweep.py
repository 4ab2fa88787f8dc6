import signal
import threading

from django.core.management.base import BaseCommand

from kadun.deadlines.services import deadlines_sweep_all
from kadun.deadlines.worker import run_forever
from kadun.evidence.services import evidence_step
from kadun.notifications.services import outbox_deliver_all


class Command(BaseCommand):
    help = "Fire due deadlines and send the outbox. Runs until stopped; any number may run at once."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="sweep until nothing is due, then exit")
        parser.add_argument("--interval", type=float, default=None)

    def handle(self, *args, once, interval, **options):
        if once:
            fired = deadlines_sweep_all()
            sent = outbox_deliver_all()
            integrated = 0
            while n := evidence_step():
                integrated += n
            self.stdout.write(f"fired {fired} deadline(s), sent {sent} message(s), integrated {integrated} evidence entr(ies)")
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write("kadun sweeper running")
        run_forever(stop, interval=interval)
