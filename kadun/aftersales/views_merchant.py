from django.http import HttpResponse


def queue(request):
    return HttpResponse("todo")


def request_detail(request, request_no):
    return HttpResponse("todo")


def policy_edit(request, product_id):
    return HttpResponse("todo")


def checker_edit(request, product_id):
    return HttpResponse("todo")
