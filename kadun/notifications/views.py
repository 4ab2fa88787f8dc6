"""通知设置 (/account/notifications/), for every logged-in user: where their notifications go
besides 站内信 — e-mail on or off, and their channels (Telegram, 企业微信, Bark, webhook) with
add, test, enable / disable and delete — and the last 50 deliveries with their status.

Secrets are never rendered: a channel shows its masked summary; a webhook secret the platform
generated is shown once, right after it was made (POST → redirect → GET, through the session,
on a page never cached), like a new API key."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kadun.core.errors import DomainError
from kadun.notifications import selectors, services
from kadun.notifications.errors import InvalidChannel
from kadun.notifications.forms import FORMS, EmailForm
from kadun.notifications.states import DELIVERY_BADGE, ChannelKind, DeliveryKind, DeliveryStatus

NEW_SECRET = "kadun_new_webhook_secret"  # session flash: a generated webhook secret, shown once


def _page(request, *, forms=None, open_kind: str = "", status: int = 200):
    request.kadun_sensitive = True  # never cached
    user = request.user
    flash = request.session.pop(NEW_SECRET, None)
    kinds = dict(ChannelKind.choices)
    statuses, delivery_kinds = dict(DeliveryStatus.choices), dict(DeliveryKind.choices)
    deliveries = [
        {"d": d, "status": statuses.get(d.status, d.status), "badge": DELIVERY_BADGE.get(d.status, ""), "kind": delivery_kinds.get(d.kind, d.kind)}
        for d in selectors.deliveries_of(user=user)
    ]
    context = {
        "channels": [{"c": c, "kind": kinds.get(c.kind, c.kind)} for c in selectors.channels_of(user=user)],
        "forms": forms or {kind: form() for kind, form in FORMS.items()},
        "kinds": kinds,
        "open_kind": open_kind,
        "email": user.email,
        "email_enabled": selectors.email_enabled(user=user),
        "deliveries": deliveries,
        "new_secret": flash,
        "channels_max": settings.KADUN_NOTIFY_CHANNELS_MAX,
    }
    return render(request, "notifications/settings.html", context, status=status)


def _back():
    return redirect(reverse("notifications:settings"))


@login_required
@require_http_methods(["GET"])
def settings_page(request):
    return _page(request)


@login_required
@require_POST
def channel_new(request, kind: str):
    if kind not in FORMS:
        return _back()
    form = FORMS[kind](request.POST)
    forms = {k: (form if k == kind else f()) for k, f in FORMS.items()}
    if not form.is_valid():
        return _page(request, forms=forms, open_kind=kind, status=400)
    try:
        channel, generated = services.channel_create(user=request.user, kind=kind, label=form.cleaned_data["label"], data=form.config())
    except InvalidChannel as exc:
        field = exc.detail.get("field")
        form.add_error(field if field in form.fields else None, exc.message)
        return _page(request, forms=forms, open_kind=kind, status=400)
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _page(request, forms=forms, open_kind=kind, status=exc.status)
    if generated:
        request.session[NEW_SECRET] = {"channel": channel.label, "secret": generated}
    messages.success(request, _("通知渠道「%(label)s」已添加。可以先发一条测试消息。") % {"label": channel.label})
    return _back()


def _act(request, action, done: str):
    try:
        action()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return _back()


@login_required
@require_POST
def channel_test(request, channel_id: int):
    return _act(
        request, lambda: services.channel_test(user=request.user, channel_id=channel_id),
        _("测试消息已排队发送，稍后在下方「发送记录」查看结果。"),
    )


@login_required
@require_POST
def channel_toggle(request, channel_id: int):
    enabled = request.POST.get("enabled") == "1"
    return _act(
        request, lambda: services.channel_set_enabled(user=request.user, channel_id=channel_id, enabled=enabled),
        _("渠道已启用。") if enabled else _("渠道已停用，不再向它发送通知。"),
    )


@login_required
@require_POST
def channel_delete(request, channel_id: int):
    return _act(request, lambda: services.channel_delete(user=request.user, channel_id=channel_id), _("通知渠道已删除。"))


@login_required
@require_POST
def email_toggle(request):
    form = EmailForm(request.POST)
    enabled = form.is_valid() and form.cleaned_data["email_enabled"]
    services.email_set_enabled(user=request.user, enabled=enabled)
    messages.success(request, _("已开启邮件通知。") if enabled else _("已关闭邮件通知。"))
    return _back()
