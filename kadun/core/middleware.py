import logging


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


NUL_MESSAGE = "输入中不能包含空字符（NUL）。"
MALFORMED_MESSAGE = "请求内容无法解析：multipart/form-data 格式错误。"
TOO_BIG_MESSAGE = "请求内容过大。"
TOO_MANY_MESSAGE = "请求中的字段或文件过多。"


def _multipart_has_nul(request) -> bool:
    """NUL in a parsed multipart field value or an uploaded file's name; file contents may hold
    any byte. Parsing here is what CSRF protection would do next anyway (Django keeps the result);
    a malformed body raises MultiPartParserError, a body too large RequestDataTooBig."""
    for _name, values in request.POST.lists():
        if any("\x00" in value for value in values):
            return True
    return any("\x00" in (upload.name or "") for _name, uploads in request.FILES.lists() for upload in uploads)


def _body_has_nul(request) -> bool:
    """A multipart/form-data body is judged by its parsed fields (Django parses no other
    multipart type). Any other body may be read as JSON — ninja parses a body as JSON whatever
    its Content-Type — so a raw NUL or the JSON escape ``\\u0000`` is refused in all of them, and
    ``%00`` in a urlencoded one. (A browser percent-encodes a backslash, so no real form body
    carries ``\\u0000``.)"""
    if request.content_type == "multipart/form-data":  # parsed and lower-cased by Django
        return _multipart_has_nul(request)
    body = request.body
    if b"\x00" in body or b"\\u0000" in body:
        return True
    return request.content_type == "application/x-www-form-urlencoded" and b"%00" in body


class RefuseNulMiddleware:
    """A NUL character can't be stored in PostgreSQL text; refuse it at the door with a 400
    (422 under /api/) instead of failing deep inside a query: path, query string, any body, or
    the field values of a multipart body. A multipart body that can't be parsed is answered
    here too — 422 ``invalid_input`` under /api/, like every API error, 400 on a page — and,
    being the client's garbage, logs no traceback. So are the limits Django enforces while
    parsing (``DATA_UPLOAD_MAX_MEMORY_SIZE``, ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` / ``_FILES``):
    413 / 422 JSON under /api/, 400 on a page, one line in ``django.security.<name>``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
        from django.http.multipartparser import MultiPartParserError

        raw_query = request.META.get("QUERY_STRING", "")
        suspicious = "\x00" in request.path or "%00" in raw_query or "\x00" in raw_query
        if not suspicious and request.method in ("POST", "PUT", "PATCH", "DELETE"):
            try:
                suspicious = _body_has_nul(request)
            except MultiPartParserError:
                return _refuse(request, MALFORMED_MESSAGE)
            except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent) as exc:
                request._mark_post_parse_error()  # as Django's handler does: the body can't be read again
                logging.getLogger(f"django.security.{type(exc).__name__}").warning("%s: %s", exc, request.path)
                if isinstance(exc, RequestDataTooBig):
                    return _refuse(request, TOO_BIG_MESSAGE, code="request_too_large", api_status=413)
                return _refuse(request, TOO_MANY_MESSAGE)
        if suspicious:
            return _refuse(request, NUL_MESSAGE)
        return self.get_response(request)


def _refuse(request, message: str, *, code: str = "invalid_input", api_status: int = 422):
    from django.http import HttpResponseBadRequest, JsonResponse

    if request.path.startswith("/api/"):
        body = {"code": code, "message": message, "errors": []} if api_status == 422 else {"code": code, "message": message}
        return JsonResponse(body, status=api_status)
    return HttpResponseBadRequest(message.encode(), content_type="text/plain; charset=utf-8")
