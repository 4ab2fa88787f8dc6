"""资质审核 pages: the merchant's application and where it stands; the staff console's queue,
an application (the identity in clear for risk staff only, each view recorded), approve /
reject, and 官方直营 (admins). Non-staff get the console's 404; staff without the risk or
admin role get 403."""
from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kadun.backoffice.access import staff_only
from kadun.core.errors import DomainError
from kadun.merchants import badges_official, badges_selectors, onboarding, onboarding_files, rules
from kadun.merchants import onboarding_selectors as reads
from kadun.merchants.access import merchant_page
from kadun.merchants.onboarding_errors import ApplicationNotFound, NotAdmin, NotRiskStaff
from kadun.merchants.onboarding_forms import ApplicationForm, OfficialGrantForm, OfficialRevokeForm, RejectForm


# --- the merchant --------------------------------------------------------------------------


@merchant_page
@require_http_methods(["GET", "POST"])
def apply(request, shop):
    version = rules.rules_current()
    status = reads.status_of(shop)
    form = ApplicationForm(request.POST or None, request.FILES or None, initial={"rules_sha256": version.sha256})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            onboarding.application_submit(
                shop=shop, entity_type=data["entity_type"], legal_name=data["legal_name"], number=data["number"],
                contact=data["contact"], categories=data["categories"], licence=data["licence"], proofs=form.proofs(),
                rules_sha256=data["rules_sha256"], accept_rules=data["accept_rules"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("资质申请已提交，平台风控将尽快审核。"))
            return redirect("merchants:onboarding")
    request.kadun_sensitive = True  # a refused form echoes the identity back
    return render(request, "merchants/onboarding_apply.html", {
        "shop": shop, "form": form, "status": status, "rules": version, "proof_rows": rules.proof_rows(),
        "applications": reads.applications_of(shop), "badges": badges_selectors.badges_of(shop.pk),
    }, status=400 if form.errors else 200)


# --- staff ---------------------------------------------------------------------------------


def risk_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not onboarding.is_risk_staff(request.user):
            return render(request, "web/error.html", {"message": NotRiskStaff.message}, status=403)
        return view(request, *args, **kwargs)

    return staff_only(wrapper)


def _application(application_id: int):
    try:
        return reads.application_get(application_id)
    except ApplicationNotFound:
        raise Http404 from None


@risk_only
@require_safe
def queue(request):
    return render(request, "merchants/onboarding_queue.html", {
        "pending": reads.queue()[:200], "decided": reads.recently_decided(), "section": "onboarding",
    })


@risk_only
@require_safe
def detail(request, application_id: int):
    application = _application(application_id)
    identity = onboarding.identity_reveal(application_id=application.pk, viewer=request.user)
    request.kadun_sensitive = True
    shop = application.shop
    return render(request, "merchants/onboarding_detail.html", {
        "application": application, "identity": identity, "files": reads.files_of(application), "section": "onboarding",
        "views": reads.identity_views_of(application), "same_number": reads.same_number_shops(application),
        "shop": shop, "badges": badges_selectors.badges_of(shop.pk), "history": badges_selectors.history_of(shop.pk),
        "authorisations": badges_selectors.authorisations_of(shop.pk), "reject_form": RejectForm(),
        "grant_form": OfficialGrantForm(), "revoke_form": OfficialRevokeForm(), "is_admin": request.user.staff_role == "admin",
    })


@risk_only
@require_POST
def approve(request, application_id: int):
    application = _application(application_id)
    try:
        onboarding.application_approve(application_id=application.pk, actor=request.user, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已通过审核。"))
    return redirect("onboarding:staff_detail", application_id=application.pk)


@risk_only
@require_POST
def reject(request, application_id: int):
    application = _application(application_id)
    try:
        onboarding.application_reject(application_id=application.pk, actor=request.user, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已驳回。"))
    return redirect("onboarding:staff_detail", application_id=application.pk)


def _file_response(model: str, row):
    try:
        handle = onboarding_files.open_file(model, row)
    except OSError:
        raise Http404 from None
    response = FileResponse(handle, content_type=row.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


@risk_only
@require_safe
def file(request, file_id: int):
    row = reads.file_get(file_id)
    if row is None:
        raise Http404
    return _file_response("application", row)


@risk_only
@require_safe
def official_file(request, authorisation_id: int):
    row = badges_selectors.authorisation_get(authorisation_id)
    if row is None:
        raise Http404
    return _file_response("official", row)


@risk_only
@require_POST
def official_grant(request, application_id: int):
    application = _application(application_id)
    if request.user.staff_role != "admin":
        return render(request, "web/error.html", {"message": NotAdmin.message}, status=403)
    form = OfficialGrantForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise DomainError("invalid_input", _("请填写品牌并上传授权文件。"))
        badges_official.official_grant(
            shop_id=application.shop_id, brand=form.cleaned_data["brand"], document=form.cleaned_data["document"], actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已授予「官方直营」。"))
    return redirect("onboarding:staff_detail", application_id=application.pk)


@risk_only
@require_POST
def official_revoke(request, application_id: int, authorisation_id: int):
    application = _application(application_id)
    if not badges_selectors.authorisations_of(application.shop_id) or authorisation_id not in {
        a.pk for a in badges_selectors.authorisations_of(application.shop_id)
    }:
        raise Http404
    try:
        badges_official.official_revoke(authorisation_id=authorisation_id, actor=request.user, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        if exc.status == 403:
            return render(request, "web/error.html", {"message": exc.message}, status=403)
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已撤销「官方直营」。"))
    return redirect("onboarding:staff_detail", application_id=application.pk)
