"""The add-a-channel forms, one per kind. Fields are checked by ``channels.config_clean`` (the
same rules as the API); its refusals land next to their field. Secret inputs are password
fields that never render their value back."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kadun.notifications import channels
from kadun.notifications.errors import InvalidChannel
from kadun.notifications.states import ChannelKind


def _secret(label, help_text="", required=True):
    return forms.CharField(label=label, help_text=help_text, required=required, max_length=600, widget=forms.PasswordInput(render_value=False))


class ChannelForm(forms.Form):
    kind: str = ""
    label = forms.CharField(label=_("名称"), required=False, max_length=60, help_text=_("留空则使用渠道类型作为名称。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix=self.kind, **kwargs)

    def clean(self):
        data = super().clean()
        try:
            self.shown, self.secret = channels.config_clean(self.kind, {name: data.get(name, "") for name in channels.FIELDS[self.kind]})
            data["label"] = channels.label_clean(data.get("label", ""), self.kind)
        except InvalidChannel as exc:
            field = exc.detail.get("field")
            self.add_error(field if field in self.fields else None, exc.message)
        return data

    def config(self) -> dict:
        return {name: self.cleaned_data.get(name, "") for name in channels.FIELDS[self.kind]}


class TelegramForm(ChannelForm):
    kind = ChannelKind.TELEGRAM
    bot_token = _secret(_("Bot Token"), _("在 Telegram 找 @BotFather 创建机器人后得到，形如 123456789:AAE…"))
    chat_id = forms.CharField(
        label=_("Chat ID"), max_length=40,
        help_text=_("接收消息的会话：个人或群组的数字 ID（群组为负数），或频道的 @用户名。先给机器人发一条消息或把它拉进群。"),
    )


class WecomForm(ChannelForm):
    kind = ChannelKind.WECOM
    key = _secret(_("Webhook 地址或 key"), _("群聊 → 群机器人 → 添加机器人后复制的 Webhook 地址（https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…）。"))


class BarkForm(ChannelForm):
    kind = ChannelKind.BARK
    device_key = _secret(_("设备 Key"), _("Bark App 首页的推送地址（https://api.day.app/你的Key/…）或其中的 Key。"))
    server = forms.CharField(label=_("自建服务器（可选）"), required=False, max_length=300, help_text=_("使用自建 bark-server 时填写 https://主机名[:端口]；留空使用官方服务器。"))


class WebhookForm(ChannelForm):
    kind = ChannelKind.WEBHOOK
    url = _secret(_("Webhook 地址"), _("平台以 POST JSON 调用此地址（仅 https），2xx 视为成功，失败自动重试。"))
    secret = _secret(_("签名密钥（可选）"), _("用于 X-Kadun-Signature（HMAC-SHA256）。留空则由平台生成，只显示一次。"), required=False)


FORMS = {form.kind: form for form in (TelegramForm, WecomForm, BarkForm, WebhookForm)}


class EmailForm(forms.Form):
    email_enabled = forms.BooleanField(label=_("接收邮件通知"), required=False)
