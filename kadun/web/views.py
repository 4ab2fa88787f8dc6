from django.http import HttpResponse


def home(request):
    return HttpResponse("todo")


def order_page(request, order_no):
    return HttpResponse("todo")


def ratelimited(request, exception):
    return HttpResponse("rate limited", status=429)
