from django.http import HttpResponse


def dashboard(request):
    return HttpResponse("todo")


def order_detail(request, order_no):
    return HttpResponse("todo")
