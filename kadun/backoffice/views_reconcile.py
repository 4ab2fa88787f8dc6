"""The staff console's 对账 pages: every reconciliation run (``kadun reconcile``) and one run's
differences, by kind. Every staff role may read them; everyone else gets the console's 404."""
from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from kadun.backoffice.access import staff_only
from kadun.payments import selectors_reconcile as selectors
from kadun.payments.models_reconcile import DifferenceKind

PROVIDER_LABELS = {"alipay": "支付宝", "wechatpay": "微信支付"}


@staff_only
@require_safe
def runs(request):
    provider = request.GET.get("provider", "")
    provider = provider if provider in PROVIDER_LABELS else ""
    return render(request, "backoffice/reconcile_runs.html", {
        "runs": selectors.reconciliation_runs(provider=provider), "provider": provider, "providers": PROVIDER_LABELS.items(),
        "section": "reconcile",
    })


@staff_only
@require_safe
def run_detail(request, run_id: int):
    run = selectors.reconciliation_run(run_id)
    if run is None:
        raise Http404
    kind = request.GET.get("kind", "")
    kind = kind if kind in DifferenceKind.values else ""
    counts = selectors.run_kind_counts(run)
    return render(request, "backoffice/reconcile_run.html", {
        "run": run, "kind": kind, "differences": selectors.run_differences(run, kind=kind),
        "kinds": [(k.value, k.label, counts.get(k.value, 0)) for k in DifferenceKind], "shown": selectors.DIFFERENCES_SHOWN,
        "provider_label": PROVIDER_LABELS.get(run.provider, run.provider), "section": "reconcile",
    })
