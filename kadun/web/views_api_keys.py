"""API 密钥: every logged-in user's API keys, on one page (/account/api-keys/).

Buyer scopes are offered to everyone, merchant scopes to a shop's owner only
(``merchants.selectors.api_scopes_for``); the form refuses anything else. Creating a key is
POST → redirect → GET: the secret waits in the (server-side) session for that one GET and is
shown once, on a page never cached, never in a URL. The merchant back office links here."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kadun.accounts import selectors as account_selectors
from kadun.accounts import services as account_services
from kadun.core.errors import DomainError
from kadun.merchants.selectors import api_scopes_for
from kadun.web.forms import ApiKeyForm

NEW_API_KEY = "kadun_new_api_key"  # session flash: the secret of a key just created


def _page(request, *, form, keys=None, created=None, status: int = 200):
    request.kadun_sensitive = True  # never cached: the first view after creating shows the secret
    keys = account_selectors.api_keys_of(user=request.user) if keys is None else keys
    return render(request, "web/api_keys.html", {"form": form, "keys": keys, "created": created}, status=status)


def _new_key_shown_once(request, keys) -> dict | None:
    """The key created just before this page, with its secret, taken out of the session: shown
    on this one render and never again (refresh, back button). Only while the key is still this
    user's and not revoked."""
    flash = request.session.pop(NEW_API_KEY, None)
    if not flash:
        return None
    key = next((k for k in keys if k.pk == flash.get("id") and not k.revoked_at), None)
    return {"key": key, "secret": flash["secret"]} if key is not None else None


@login_required
@require_http_methods(["GET", "POST"])
def api_keys(request):
    scopes = api_scopes_for(request.user)
    if request.method == "GET":
        keys = list(account_selectors.api_keys_of(user=request.user))
        return _page(request, form=ApiKeyForm(scopes=scopes), keys=keys, created=_new_key_shown_once(request, keys))
    form = ApiKeyForm(request.POST, scopes=scopes)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    key, secret = account_services.api_key_create(user=request.user, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"])
    request.session[NEW_API_KEY] = {"id": key.pk, "secret": secret}
    messages.success(request, _("API 密钥「%(name)s」已创建。") % {"name": key.name})
    return redirect(reverse("web:api_keys") + "#new-api-key")


@login_required
@require_POST
def api_key_revoke(request, key_id: int):
    try:
        account_services.api_key_revoke(user=request.user, key_id=key_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("API 密钥已吊销，使用它的请求将被拒绝。"))
    return redirect(reverse("web:api_keys"))
