"""The staff console's insurance pool page (/staff/insurance/): any staff member."""
from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_safe

from kadun.backoffice.access import staff_only
from kadun.insurance import selectors


@staff_only
@require_safe
def pool(request):
    return render(request, "insurance/staff_pool.html", {"pool": selectors.pool_summary(), "section": "insurance"})
