from django.http import HttpResponse


def request_create(request, order_no):
    return HttpResponse("todo")


def instant_refund(request, order_no):
    return HttpResponse("todo")


def verify_key(request, order_no, key_id):
    return HttpResponse("todo")


def request_withdraw(request, request_no):
    return HttpResponse("todo")


def evidence_file(request, request_no, evidence_id):
    return HttpResponse("todo")
