from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from kadun.orders import confirmations
from kadun.payments.selectors import payment_choices

class ApiKeyForm(forms.Form):
    """A new API key: its name and scopes, chosen among those the user may give
    (``merchants.selectors.api_scopes_for``: merchant scopes only for a shop's owner)."""

    name = forms.CharField(label=_("名称"), max_length=60)
    scopes = forms.MultipleChoiceField(
        label=_("权限"), widget=forms.CheckboxSelectMultiple,
        help_text=_("只给密钥需要的权限：对接店铺的程序选「商家」，用密钥下单的脚本选「买家」。"),
        error_messages={"required": _("请至少选择一项权限。")},
    )

    def __init__(self, *args, scopes: list[str], **kwargs):
        from kadun.accounts.states import ApiScope

        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [(value, label) for value, label in ApiScope.choices if value in scopes]
        self.fields["scopes"].initial = [ApiScope.MERCHANT.value if ApiScope.MERCHANT.value in scopes else ApiScope.BUYER.value]


PAY_LABELS = {"sandbox": _("沙箱支付（测试）"), "wallet": _("平台余额")}


class CheckoutForm(forms.Form):
    quantity = forms.IntegerField(label=_("购买数量"), min_value=1, initial=1)
    contact = forms.CharField(label=_("联系方式（邮箱 / QQ / 手机号）"), max_length=120, required=False)
    query_password = forms.CharField(
        label=_("查询密码（至少6位，凭订单号和它查询订单）"), min_length=6, max_length=128, required=False, widget=forms.PasswordInput
    )

    # Required when the product's rules exclude 7天无理由 (暂行办法 §20); its label is the text
    # stored with the order as what the buyer confirmed (``orders.confirmations``).
    no_reason_waived = forms.BooleanField(
        required=True, error_messages={"required": _("本商品不适用七天无理由退货，请勾选确认后再提交订单。")}
    )
    # Required when the 超低价 warning holds (``orders.warnings``); its label is the text ticked.
    low_price_ok = forms.BooleanField(required=True, error_messages={"required": _("本商品售价远低于参考价，请勾选确认已知悉风险后再提交订单。")})
    pay_with = forms.ChoiceField(label=_("支付方式"), choices=[])

    def __init__(self, *args, product, user, policy=None, **kwargs):
        from kadun.orders.warnings import low_price, low_price_confirmation_text

        super().__init__(*args, **kwargs)
        self.product = product
        cheap = low_price(product)
        if cheap is None:
            del self.fields["low_price_ok"]
        else:
            self.fields["low_price_ok"].label = low_price_confirmation_text(cheap)
        if policy is None or not confirmations.no_reason_required(policy.rules):
            del self.fields["no_reason_waived"]
        else:
            self.fields["no_reason_waived"].label = confirmations.no_reason_label(product.delivery)
        self.fields["quantity"].max_value = product.max_per_order
        self.fields["quantity"].widget.attrs.update(max=product.max_per_order, min=1)
        if not product.is_auto:
            self.fields["quantity"].widget = forms.HiddenInput()
        self.is_guest = not (user and user.is_authenticated)
        if self.is_guest:
            self.fields["contact"].required = True
            self.fields["query_password"].required = True
            del self.fields["pay_with"]
        else:
            # Only the providers this deployment enables (KADUN_PAYMENT_PROVIDERS).
            methods = [(name, PAY_LABELS.get(name, label)) for name, label in payment_choices(wallet=True)]
            self.fields["pay_with"].choices = methods
            self.fields["pay_with"].initial = methods[0][0] if methods else None
            del self.fields["contact"]
            del self.fields["query_password"]
        for spec in product.buyer_fields if not product.is_auto else []:
            self.fields[f"bf_{spec['name']}"] = forms.CharField(label=spec["label"], max_length=200, required=spec.get("required", True))

    def buyer_inputs(self) -> dict:
        return {name[3:]: value for name, value in self.cleaned_data.items() if name.startswith("bf_")}


class LookupForm(forms.Form):
    """Order number + query password; with ``captcha`` (after failures for this order number)
    a captcha too. The order number is folded (``kadun.core.text.fold``) before use."""

    order_no = forms.CharField(label=_("订单号"), max_length=64)
    query_password = forms.CharField(label=_("查询密码"), max_length=128, widget=forms.PasswordInput)

    def __init__(self, *args, captcha: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if captcha:
            from captcha.fields import CaptchaField

            self.fields["captcha"] = CaptchaField(
                label=_("验证码"), error_messages={"invalid": _("验证码不正确，请重新输入。"), "required": _("请输入图中的验证码。")}
            )

    def clean_order_no(self):
        from kadun.core.text import fold

        value = fold(self.cleaned_data["order_no"])
        if not value or len(value) > 24:
            raise forms.ValidationError(_("请输入正确的订单号。"))
        return value


class SignupForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    email = forms.EmailField(label=_("邮箱（选填）"), required=False)
    contact = forms.CharField(label=_("QQ / 手机号（选填）"), max_length=120, required=False)
    password = forms.CharField(label=_("密码（至少8位）"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            raise forms.ValidationError(_("两次输入的密码不一致。"))
        if data.get("password"):
            # The site's password rules, checked here so their messages sit under the field in
            # the page's language (the service checks them again, for the API).
            candidate = get_user_model()(username=data.get("username", ""), email=data.get("email", ""))  # unsaved
            try:
                validate_password(data["password"], candidate)
            except ValidationError as exc:
                self.add_error("password", [password_message(e) for e in exc.error_list])
        return data


def password_message(error: ValidationError) -> str:
    """A password validator's complaint in kadun's own words, so a Chinese page never shows
    Django's untranslated English and an English page never shows Chinese."""
    params = error.params or {}
    if error.code == "password_too_short":
        n = params.get("min_length", 8)
        return ngettext("密码太短，至少需要 %(n)s 位。", "密码太短，至少需要 %(n)s 位。", n) % {"n": n}
    known = {
        "password_too_common": gettext("这个密码太常见，请换一个。"),
        "password_entirely_numeric": gettext("密码不能全是数字。"),
        "password_too_similar": gettext("密码与用户名或邮箱太相似。"),
    }
    return known.get(error.code) or " ".join(error.messages)
