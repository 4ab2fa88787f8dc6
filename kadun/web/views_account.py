"""注销账户 (/account/close/): the user closes their own account. The page says what is erased
and what the law makes the platform keep (docs/evidence.md, "Retention and anonymisation"); the
POST needs the password, then ``accounts.services.account_anonymise`` erases the identity and the
session ends."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kadun.accounts import services as account_services
from kadun.core.errors import DomainError


@login_required
@require_http_methods(["GET", "POST"])
def account_close(request):
    request.kadun_sensitive = True
    if request.method == "GET":
        return render(request, "web/account_close.html", {})
    if not request.user.check_password(request.POST.get("password", "")):
        return render(request, "web/account_close.html", {"error": _("密码不正确，账户未注销。")}, status=400)
    try:
        account_services.account_anonymise(user=request.user, actor=request.user)
    except DomainError as exc:
        return render(request, "web/account_close.html", {"error": exc.message}, status=exc.status)
    logout(request)
    messages.success(request, _("账户已注销：个人信息已清除，交易记录依法保存。"))
    return redirect("web:home")
