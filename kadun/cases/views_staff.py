"""Staff console of cases (being written)."""
from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404()


queue = sla_view = case_page = case_act = refund_requests = _todo
