"""The 资质审核 form: identity, contact, categories, the licence picture and one file field per
proof a chosen category needs (``proof_<category>_<kind>``), and the rules accepted."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kadun.catalog.states import Category
from kadun.merchants import rules
from kadun.merchants.onboarding_states import EntityType, ProofKind


def proof_field_name(category: str, kind: str) -> str:
    return f"proof_{category}_{kind}"


class ApplicationForm(forms.Form):
    entity_type = forms.ChoiceField(label=_("主体类型"), choices=EntityType.choices, widget=forms.RadioSelect, initial=EntityType.PERSON)
    legal_name = forms.CharField(label=_("真实姓名 / 企业名称"), max_length=100)
    number = forms.CharField(label=_("身份证号 / 统一社会信用代码"), max_length=30)
    contact = forms.CharField(label=_("联系方式（手机、QQ 或邮箱）"), max_length=120)
    categories = forms.MultipleChoiceField(label=_("经营类目"), choices=Category.choices, widget=forms.CheckboxSelectMultiple)
    licence = forms.FileField(label=_("营业执照或身份证件照片"))
    accept_rules = forms.BooleanField(label=_("我已阅读并同意平台商家规则"))
    rules_sha256 = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.proof_fields = []
        for category, kinds in rules.proofs_required().items():
            for kind in kinds:
                name = proof_field_name(category, kind)
                self.fields[name] = forms.FileField(
                    label=f"{Category(category).label}：{ProofKind(kind).label}", required=False,
                )
                self.proof_fields.append(name)
        self.order_fields(["entity_type", "legal_name", "number", "contact", "categories", *self.proof_fields, "licence", "accept_rules"])

    def proofs(self) -> dict:
        """(category, kind) → upload, for the chosen categories."""
        out = {}
        for category, kinds in rules.proofs_required().items():
            for kind in kinds:
                upload = self.cleaned_data.get(proof_field_name(category, kind))
                if upload is not None:
                    out[(category, kind)] = upload
        return out


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("驳回原因（商家可见）"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class OfficialGrantForm(forms.Form):
    brand = forms.CharField(label=_("品牌"), max_length=80)
    document = forms.FileField(label=_("品牌方授权文件（图片）"))


class OfficialRevokeForm(forms.Form):
    reason = forms.CharField(label=_("撤销原因"), max_length=300)
