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
