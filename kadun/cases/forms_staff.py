"""Forms of the staff console of cases: the queue's filters and each staff action on a case.
They check shape only (the services check the rules); amounts are typed in 元 and passed in 分."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kadun.cases.states import MONEY_KINDS, WITH_PLATFORM, CaseKind, CaseStatus, Fault, Party, Priority, Remedy
from kadun.core.errors import DomainError
from kadun.core.money import yuan_to_fen


class QueueFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=[("", _("全部类型")), *CaseKind.choices])
    priority = forms.ChoiceField(label=_("优先级"), required=False, choices=[("", _("全部")), *Priority.choices])
    status = forms.ChoiceField(label=_("阶段"), required=False,
                               choices=[("", _("全部阶段")), *[(s, CaseStatus(s).label) for s in WITH_PLATFORM]])
    assignee = forms.TypedChoiceField(label=_("处理人"), required=False, coerce=int, empty_value=None)
    mine = forms.BooleanField(label=_("只看我的"), required=False)
    breached = forms.BooleanField(label=_("只看已超时"), required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000, widget=forms.HiddenInput)

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("全部")), *[(u.pk, u.username) for u in staff]]


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(label=_("指派给"), coerce=int)

    def __init__(self, *args, staff=(), me=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(me.pk, _("我自己（%(name)s）") % {"name": me.username})] if me is not None else []
        choices += [(u.pk, f"{u.username}（{u.get_staff_role_display()}）") for u in staff if me is None or u.pk != me.pk]
        self.fields["assignee"].choices = choices


class MessageForm(forms.Form):
    body = forms.CharField(label=_("内容"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class EvidenceForm(forms.Form):
    party = forms.ChoiceField(label=_("向谁调取"), choices=[(Party.BUYER, Party.BUYER.label), (Party.MERCHANT, Party.MERCHANT.label)])
    text = forms.CharField(label=_("需要提交的证据"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    hours = forms.IntegerField(label=_("期限（小时）"), min_value=1, max_value=168, required=False)


class ResolveForm(forms.Form):
    note = forms.CharField(label=_("处理结果（将发给买家）"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class DecideForm(forms.Form):
    """A decision (or the appeal's): remedy, amount (partial, in 元), hours (replacement), fault,
    reasons, and the frozen clauses and thread evidence it cites, as checkboxes."""

    remedy = forms.ChoiceField(label=_("处理方案"), widget=forms.RadioSelect)
    amount = forms.CharField(label=_("部分退款金额（元）"), required=False, max_length=14)
    hours = forms.IntegerField(label=_("补发时限（小时）"), required=False, min_value=1, max_value=10_000)
    fault = forms.ChoiceField(label=_("责任认定"), choices=Fault.choices, widget=forms.RadioSelect)
    reasons = forms.CharField(label=_("裁决理由"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    clauses = forms.TypedMultipleChoiceField(label=_("引用的冻结条款"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple)
    evidence = forms.TypedMultipleChoiceField(label=_("引用的证据（消息编号）"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, case, thread=(), **kwargs):
        super().__init__(*args, **kwargs)
        remedies = Remedy.choices if case.kind in MONEY_KINDS else [(Remedy.REJECTED, Remedy.REJECTED.label)]
        self.fields["remedy"].choices = remedies
        clauses = (case.order.policy_snapshot or {}).get("clauses", [])
        self.fields["clauses"].choices = [(c["no"], f"第{c['no']}条 {c['text']}") for c in clauses]
        self.fields["evidence"].choices = [(m.no, f"#{m.no} {m.get_party_display()}：{m.body[:40]}") for m in thread if m.no]

    def clean_amount(self):
        text = (self.cleaned_data.get("amount") or "").strip()
        if not text:
            return None
        try:
            return yuan_to_fen(text)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean(self):
        data = super().clean()
        if data.get("remedy") == Remedy.PARTIAL_REFUND and not data.get("amount"):
            self.add_error("amount", _("部分退款须填写金额（元）。"))
        if data.get("remedy") == Remedy.REPLACEMENT and not data.get("hours"):
            self.add_error("hours", _("补发须填写时限（小时）。"))
        return data
