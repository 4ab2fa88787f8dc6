class SecurityHeadersMiddleware:
    """Pages that show a card key must never be cached or leak through the Referer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Referrer-Policy", "same-origin")
        if getattr(request, "kadun_sensitive", False):
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"
        return response


def _multipart_has_nul(request) -> bool:
    """NUL in a parsed multipart field value or an uploaded file's name; file contents may hold
    any byte. Parsing here is what CSRF protection would do next anyway (Django keeps the result);
    a body too large or malformed raises as it would there."""
    for _name, values in request.POST.lists():
        if any("\x00" in value for value in values):
            return True
    return any("\x00" in (upload.name or "") for _name, uploads in request.FILES.lists() for upload in uploads)


class RefuseNulMiddleware:
    """A NUL character can't be stored in PostgreSQL text; refuse it at the door with a 400
    (422 under /api/) instead of failing deep inside a query: path, query string, a non-file
    body, or the field values of a multipart body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.http import HttpResponseBadRequest, JsonResponse

        raw_query = request.META.get("QUERY_STRING", "")
        suspicious = "\x00" in request.path or "%00" in raw_query or "\x00" in raw_query
        content_type = request.META.get("CONTENT_TYPE", "")
        if not suspicious and request.method in ("POST", "PUT", "PATCH") and content_type.startswith("multipart/"):
            suspicious = _multipart_has_nul(request)
        elif not suspicious and request.method in ("POST", "PUT", "PATCH"):
            body = request.body
            suspicious = b"\x00" in body
            if "json" in content_type:
                suspicious = suspicious or b"\\u0000" in body
            elif content_type.startswith("application/x-www-form-urlencoded"):
                suspicious = suspicious or b"%00" in body
        if suspicious:
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "invalid_input", "message": "输入中不能包含空字符（NUL）。", "errors": []}, status=422)
            return HttpResponseBadRequest("输入中不能包含空字符（NUL）。".encode(), content_type="text/plain; charset=utf-8")
        return self.get_response(request)
