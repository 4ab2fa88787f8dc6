"""Buyer and merchant pages of cases (being written)."""
from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404()


case_new = order_message = escalate = case_page = case_act = attachment = merchant_list = merchant_case = _todo
