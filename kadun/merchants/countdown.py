"""Time left before a deadline, as the merchant's pages show it. The server renders the text;
``static/kadun/countdown.js`` keeps every ``data-deadline`` element current in the browser
with the same wording (its strings come from ``merchants/_countdown_script.html``)."""
from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

URGENT = dt.timedelta(hours=2)


def remaining_text(deadline: dt.datetime | None, now: dt.datetime) -> str:
    """「还剩 5小时12分」, in whole minutes rounded down; 「已到期」 once passed."""
    if deadline is None:
        return ""
    seconds = int((deadline - now).total_seconds())
    if seconds <= 0:
        return _("已到期，系统将按规则处理")
    minutes = seconds // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("还剩 %(d)s天%(h)s小时") % {"d": days, "h": hours}
    if hours:
        return _("还剩 %(h)s小时%(m)s分") % {"h": hours, "m": minutes}
    return _("还剩 %(m)s分") % {"m": minutes}


def urgency(deadline: dt.datetime | None, now: dt.datetime) -> str:
    """Badge class: ``bad`` within two hours of the deadline (or past it), else ``warn``."""
    if deadline is None:
        return ""
    return "bad" if deadline - now <= URGENT else "warn"
