"""Payments' worker duty: forget notification nonces older than 10 minutes. A notification that
old is refused as stale (5 minutes) before its nonce is looked at, so nothing is lost."""
import datetime as dt

from kadun.core import clock
from kadun.deadlines.registry import duty, handler
from kadun.payments import watch

NONCE_KEEP = dt.timedelta(minutes=10)


@duty
def notify_nonces_purge() -> int:
    from kadun.payments.models import NotifyNonce

    deleted, _ = NotifyNonce.objects.filter(seen_at__lt=clock.now() - NONCE_KEEP).delete()
    return deleted


@handler(watch.KIND)
def payment_watch(payment_id: int) -> str:
    """Ask the gateway about a payment still pending (the lost-callback watch): enqueues the
    ``payment_query`` outbox message, whose sender asks outside this transaction."""
    return watch.watch_fire(payment_id)
