"""Who gets into the staff console (平台后台): users with a staff role. Everyone else —
anonymous, buyers, merchants — gets the same 404 as for a page that does not exist, so the
console does not announce itself. Shared by every app's staff pages (the cases console too)."""
from __future__ import annotations

from functools import wraps

from django.http import Http404
from django.views.decorators.cache import never_cache


def staff_only(view):
    """404 for anyone without a staff role; never cached, since every page carries buyers' data."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not (user.is_authenticated and getattr(user, "staff_role", "")):
            raise Http404
        return view(request, *args, **kwargs)

    return never_cache(wrapper)
