"""Forms for the merchant's pages. They check shape only; the rules live in the services,
whose DomainError messages the views put back on the form."""
from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


from kadun.catalog.states import Category, Delivery
from kadun.core.errors import DomainError
from kadun.core.money import fen_to_yuan, yuan_to_fen

MAX_KEY_FILE_BYTES = 16 * 1024 * 1024
_YES = {"yes", "y", "true", "1", "是", "必填"}
_NO = {"no", "n", "false", "0", "否", "选填"}


class ShopOpenForm(forms.Form):
    name = forms.CharField(label=_("店铺名称"), min_length=2, max_length=60)
    description = forms.CharField(label=_("店铺简介"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))


def _yuan_field(value: str) -> int:
    try:
        return yuan_to_fen(value)
    except DomainError as exc:
        raise forms.ValidationError(exc.message) from None


def parse_buyer_fields(text: str) -> list[dict]:
    """``name|标签|required(yes/no)``, one per line; the third part defaults to yes."""
    fields = []
    for lineno, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            raise forms.ValidationError(_("第 %(n)s 行格式应为「英文名|标签|是否必填(yes/no)」。"), params={"n": lineno})
        required = True
        if len(parts) == 3 and parts[2]:
            flag = parts[2].lower()
            if flag in _YES:
                required = True
            elif flag in _NO:
                required = False
            else:
                raise forms.ValidationError(_("第 %(n)s 行的是否必填只能是 yes 或 no。"), params={"n": lineno})
        fields.append({"name": parts[0], "label": parts[1], "required": required})
    return fields


def buyer_fields_text(fields: list[dict]) -> str:
    return "\n".join(f"{f['name']}|{f['label']}|{'yes' if f.get('required', True) else 'no'}" for f in fields or [])


class ProductForm(forms.Form):
    title = forms.CharField(label=_("商品标题"), max_length=120)
    description = forms.CharField(label=_("商品描述"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))
    category = forms.ChoiceField(label=_("分类"), choices=Category.choices)
    delivery = forms.ChoiceField(label=_("发货方式"), choices=Delivery.choices, help_text=_("创建后不能修改。"))
    price = forms.CharField(label=_("价格（元）"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "12.34"}))
    market_price = forms.CharField(
        label=_("市场参考价（元）"), required=False, max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    inspection_hours = forms.IntegerField(
        label=_("验货期（小时）"), required=False, min_value=1, max_value=24 * 30,
        help_text=_("留空使用默认值：卡密 24 小时，服务 72 小时。"),
    )
    max_per_order = forms.IntegerField(label=_("每单限购"), initial=10, min_value=1, max_value=1000)
    is_active = forms.BooleanField(label=_("上架"), required=False, initial=True, widget=forms.CheckboxInput(attrs={"style": "width:auto"}))
    buyer_fields = forms.CharField(
        label=_("下单信息（仅手动服务）"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "account|游戏账号|yes\nserver|区服|no"}),
        help_text=_("买家下单时需填写的信息，每行一项：英文名|标签|是否必填(yes/no)。"),
    )

    def __init__(self, *args, product=None, **kwargs):
        self.product = product
        if product is not None:
            kwargs.setdefault("initial", {
                "title": product.title,
                "description": product.description,
                "category": product.category,
                "price": fen_to_yuan(product.price),
                "market_price": fen_to_yuan(product.market_price) if product.market_price else "",
                "inspection_hours": product.inspection_hours,
                "max_per_order": product.max_per_order,
                "is_active": product.is_active,
                "buyer_fields": buyer_fields_text(product.buyer_fields),
            })
        super().__init__(*args, **kwargs)
        self.fields["price"].help_text = _("买家确认收货后，平台按 %(rate)s%% 收取手续费，其余转入您的待结算。") % {
            "rate": f"{settings.KADUN_PLATFORM_FEE_BPS / 100:g}"}
        if product is not None:
            del self.fields["delivery"]  # fixed at creation
            if product.is_auto:
                del self.fields["buyer_fields"]

    def clean_price(self) -> int:
        return _yuan_field(self.cleaned_data["price"])

    def clean_market_price(self) -> int | None:
        value = self.cleaned_data.get("market_price", "").strip()
        return _yuan_field(value) if value else None

    def clean_buyer_fields(self) -> list[dict]:
        return parse_buyer_fields(self.cleaned_data.get("buyer_fields", ""))

    def service_data(self) -> dict:
        """What product_create / product_update take."""
        # A blank inspection window (None) is the service's default for the delivery kind.
        return dict(self.cleaned_data)


class KeyImportForm(forms.Form):
    no_optional_marks = True  # one of the two is needed
    text = forms.CharField(
        label=_("粘贴卡密"), required=False,
        widget=forms.Textarea(attrs={"rows": 10, "placeholder": "ABCD-EFGH-1234\naccount----password", "spellcheck": "false", "autocomplete": "off"}),
        help_text=_("每行一个：卡密，或「账号----密码」。"),
    )
    file = forms.FileField(
        label=_("或上传文件（.txt / .csv）"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,.csv,text/plain,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is None:
            return None
        if not upload.name.lower().endswith((".txt", ".csv")):
            raise forms.ValidationError(_("只支持 .txt 或 .csv 文件。"))
        if upload.size > MAX_KEY_FILE_BYTES:
            raise forms.ValidationError(_("文件不能超过 16 MB。"))
        return upload

    def clean(self):
        data = super().clean()
        has_text = bool((data.get("text") or "").strip())
        has_file = data.get("file") is not None
        if not self.errors and has_text == has_file:
            raise forms.ValidationError(_("请粘贴卡密或上传文件（二选一）。"))
        return data


class DeliverForm(forms.Form):
    note = forms.CharField(
        label=_("发货说明"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("请填写发货说明。")},
        help_text=_("买家会看到这段说明，例如充值结果、账号变动、如何查验。"),
    )
    image = forms.FileField(
        label=_("图片"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
    )


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False)

    def __init__(self, *args, **kwargs):
        from kadun.orders.states import OrderStatus

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("全部"))] + list(OrderStatus.choices)
