"""商家后台 · 商品规则: a product's refund rules (退款规则) and its 验货 checker.

Every page is read through the merchant's own shop: a product of another shop is a 404, the
same answer as for one that does not exist. Writes go through ``catalog.services``; their
DomainError messages are shown as they are and, since each service call is one transaction,
nothing changes when one is refused.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from kadun.catalog import policies
from kadun.catalog import selectors as catalog_selectors
from kadun.catalog import services as catalog_services
from kadun.catalog.errors import ProductNotFound
from kadun.core.errors import DomainError
from kadun.merchants.access import merchant_page


def _product(shop, product_id: int):
    try:
        return catalog_selectors.product_of_shop(shop=shop, product_id=product_id)
    except ProductNotFound:
        raise Http404 from None


# --- refund rules -------------------------------------------------------------------------


def parse_milestones(text: str) -> list[dict]:
    """「名称|可退百分比」, one per line → [{"name", "refundable_bps"}] (percent × 100)."""
    out = []
    for lineno, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 2 or not parts[0] or not parts[1]:
            raise forms.ValidationError(_("第 %(n)s 行格式应为「名称|可退百分比」，例如「接单|100」。") % {"n": lineno})
        try:
            bps = Decimal(parts[1].rstrip("%").strip()) * 100
        except InvalidOperation:
            bps = None
        if bps is None or bps != bps.to_integral_value():
            raise forms.ValidationError(_("第 %(n)s 行的可退百分比应为数字，最多两位小数。") % {"n": lineno})
        out.append({"name": parts[0], "refundable_bps": int(bps)})
    return out


def milestones_text(milestones: list[dict]) -> str:
    return "\n".join(f"{m['name']}|{m['refundable_bps'] / 100:g}" for m in milestones or [])


class PolicyForm(forms.Form):
    """The refund rules as a form. Bounds are the platform baseline's, checked by the service so
    that its message (which names the baseline) is the one the merchant sees."""

    no_optional_marks = True
    refund_window_hours = forms.IntegerField(
        label=gettext_lazy("退款申请期限（小时）"),
        help_text=gettext_lazy("发货后多少小时内可申请退款，至少 24 小时。168 = 7 天。"),
    )
    defect_remedy = forms.ChoiceField(label=gettext_lazy("卡密无效时的处理方式"), choices=list(policies.DEFECT_REMEDIES.items()))
    defect_evidence_required = forms.BooleanField(
        label=gettext_lazy("卡密无效申请须上传截图等证据"), required=False, widget=forms.CheckboxInput(attrs={"style": "width:auto"}),
    )
    no_reason_7days = forms.BooleanField(
        label=gettext_lazy("支持七天无理由退款"), required=False, widget=forms.CheckboxInput(attrs={"style": "width:auto"}),
    )
    merchant_response_hours = forms.IntegerField(
        label=gettext_lazy("商家响应时限（小时）"), help_text=gettext_lazy("需您处理的退款申请，超过时限未回应则系统全额退款。最长 72 小时。"),
    )
    replacement_hours = forms.IntegerField(
        label=gettext_lazy("补发承诺时限（小时）"), help_text=gettext_lazy("承诺补发时最长可承诺的时限，逾期未补发系统全额退款。最长 72 小时。"),
    )
    delivery_deadline_hours = forms.IntegerField(
        label=gettext_lazy("服务完成期限（小时）"), help_text=gettext_lazy("付款后多少小时内须完成服务并发货，逾期系统全额退款。最长 360 小时（15 天）。"),
    )
    milestones = forms.CharField(
        label=gettext_lazy("服务进度节点"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "接单|100\n完成一半|50"}),
        help_text=gettext_lazy("每行一个：名称|可退百分比，例如「接单|100」「完成一半|50」。比例须逐步递减，最多 10 个。"),
    )

    def __init__(self, *args, product, rules: dict, **kwargs):
        initial = {
            **rules,
            "milestones": milestones_text(rules.get("milestones") or []),
        }
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.product = product
        if product.is_auto:
            del self.fields["delivery_deadline_hours"]
            del self.fields["milestones"]
        else:  # a service has no card keys: the defect clauses do not apply to it
            del self.fields["defect_remedy"]
            del self.fields["defect_evidence_required"]

    def clean_milestones(self) -> list[dict]:
        return parse_milestones(self.cleaned_data.get("milestones", ""))

    def rules(self, current: dict) -> dict:
        """What policy_update takes: the current rules with the edited fields over them. 未查看
        卡密即时退款 is the platform's and always on."""
        return {**current, **self.cleaned_data, "unrevealed_refund": True}


def _policy_page(request, shop, product, *, form=None, status: int = 200):
    current = catalog_selectors.policy_text(product)
    history = [
        {"policy": p, "text": policies.render_text(p.rules, delivery=product.delivery)}
        for p in catalog_selectors.policies_of(product)
    ]
    return render(request, "aftersales/merchant_policy.html", {
        "shop": shop,
        "product": product,
        "form": form or PolicyForm(product=product, rules=current["rules"]),
        "current": current,
        "history": history,
        "baseline": policies.BASELINE,
    }, status=status)


@merchant_page
@require_http_methods(["GET", "POST"])
def policy_edit(request, shop, product_id: int):
    product = _product(shop, product_id)
    if request.method == "GET":
        return _policy_page(request, shop, product)
    current = catalog_selectors.policy_current(product).rules
    form = PolicyForm(request.POST, product=product, rules=current)
    if not form.is_valid():
        return _policy_page(request, shop, product, form=form, status=400)
    try:
        policy = catalog_services.policy_update(shop=shop, product_id=product.pk, rules=form.rules(current))
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _policy_page(request, shop, product, form=form, status=400)
    messages.success(request, _("退款规则已更新为第 %(v)s 版。已下单的订单仍按下单时的规则处理。") % {"v": policy.version})
    return redirect("aftersales:policy_edit", product_id=product.pk)


# --- 验货 checker -------------------------------------------------------------------------


class CheckerForm(forms.Form):
    no_optional_marks = True  # which fields are needed depends on the kind
    kind = forms.ChoiceField(
        label=gettext_lazy("验货方式"),
        choices=[("none", gettext_lazy("不验货")), ("format", gettext_lazy("格式校验（正则表达式）")), ("http", gettext_lazy("HTTP 接口"))],
        widget=forms.RadioSelect(attrs={"style": "width:auto"}),
    )
    pattern = forms.CharField(
        label=gettext_lazy("卡密格式（正则表达式）"), required=False, max_length=300,
        widget=forms.TextInput(attrs={"placeholder": r"^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$", "spellcheck": "false"}),
        help_text=gettext_lazy("卡密须完整匹配。RE2 语法：不支持反向引用（如 \\1）和环视（如 (?=…)）。"),
    )
    url = forms.CharField(
        label=gettext_lazy("验货接口地址"), required=False, max_length=300,
        widget=forms.TextInput(attrs={"placeholder": "https://example.com/kadun/verify", "inputmode": "url"}),
        help_text=gettext_lazy("http:// 或 https://，不能包含用户名和密码，不能是内网或本机地址；不跟随重定向。"),
    )
    # Never rendered back: PasswordInput drops the value, also on a refused form.
    secret = forms.CharField(
        label=gettext_lazy("签名密钥"), required=False, max_length=200, strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
        help_text=gettext_lazy("至少 16 个字符，用于签名验货请求。"),
    )

    def config(self, current: dict) -> dict:
        kind = self.cleaned_data["kind"]
        if kind == "format":
            return {"kind": "format", "pattern": self.cleaned_data["pattern"]}
        if kind == "http":
            secret = self.cleaned_data["secret"]
            if not secret and current.get("kind") == "http":
                secret = current.get("secret", "")  # left blank: keep the one already set
            return {"kind": "http", "url": self.cleaned_data["url"], "secret": secret}
        return {"kind": "none"}


def _checker_page(request, shop, product, *, form=None, status: int = 200):
    request.kadun_sensitive = True
    current = product.checker or {"kind": "none"}
    if form is None:
        form = CheckerForm(initial={"kind": current.get("kind", "none"), "pattern": current.get("pattern", ""), "url": current.get("url", "")})
    return render(request, "aftersales/merchant_checker.html", {
        "shop": shop,
        "product": product,
        "form": form,
        "current_kind": current.get("kind", "none"),
        "current_pattern": current.get("pattern", ""),
        "current_url": current.get("url", ""),
        "secret_set": bool(current.get("secret")),
    }, status=status)


@merchant_page
@require_http_methods(["GET", "POST"])
def checker_edit(request, shop, product_id: int):
    product = _product(shop, product_id)
    if request.method == "GET":
        return _checker_page(request, shop, product)
    form = CheckerForm(request.POST)
    if not form.is_valid():
        return _checker_page(request, shop, product, form=form, status=400)
    try:
        catalog_services.checker_set(shop=shop, product_id=product.pk, config=form.config(product.checker or {}))
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _checker_page(request, shop, product, form=form, status=400)
    messages.success(request, _("验货方式已保存。"))
    return redirect("aftersales:checker_edit", product_id=product.pk)
