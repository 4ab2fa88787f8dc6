from kadun.core import clock
from kadun.deadlines.models import Deadline


def deadline_for(*, kind: str, subject_id: int) -> Deadline | None:
    return Deadline.objects.filter(kind=kind, subject_id=subject_id).first()


def overdue_count(*, grace_seconds: int = 60) -> int:
    import datetime as dt

    return Deadline.objects.filter(fired_at__isnull=True, due_at__lt=clock.now() - dt.timedelta(seconds=grace_seconds)).count()
