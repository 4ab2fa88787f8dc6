"""The account's notification channels and delivery log (/api/account/notify-channels,
/api/account/notify-deliveries), for every logged-in user; the same rules as 「通知设置」.

Reading takes the session or any API key of the user (channels come back masked, never with a
secret). Adding, testing, enabling / disabling and deleting a channel need the website's
session, like creating API keys: a channel is where the account's notifications go, so a
leaked API key must not be able to send them somewhere else, or silence them.
"""
from ninja import Router
from ninja.responses import Status

from kadun.accounts.api_auth import api_key, caller_of, require_session, session
from kadun.core.api_errors import errors
from kadun.notifications import selectors, services
from kadun.notifications.schemas import NotifyChannelCreatedOut, NotifyChannelIn, NotifyChannelOut, NotifyChannelPatchIn, NotifyDeliveryOut

router = Router(tags=["account"], auth=[api_key, session])


@router.get("/notify-channels", response={200: list[NotifyChannelOut], **errors(401)}, summary="我的通知渠道")
def channel_list(request):
    return selectors.channels_of(user=caller_of(request).user)


@router.post(
    "/notify-channels",
    response={201: NotifyChannelCreatedOut, **errors(400, 401, 403, 409, 422)},
    summary="添加通知渠道",
    description=(
        "只能在网页登录状态下添加（403 session_required）。设置有误为 400 invalid_channel（message 说明原因，不含密钥），"
        "超过上限为 409 channel_limit。Webhook 地址须为 https，且不能指向内网、本机或保留地址。"
    ),
)
def channel_new(request, data: NotifyChannelIn):
    caller = require_session(request)
    channel, generated = services.channel_create(user=caller.user, kind=data.kind, label=data.label, data=data.config)
    request.kadun_sensitive = True
    return Status(201, {"channel": channel, "secret": generated})


@router.patch("/notify-channels/{int:channel_id}", response={200: NotifyChannelOut, **errors(401, 403, 404, 422)}, summary="启用或停用通知渠道")
def channel_patch(request, channel_id: int, data: NotifyChannelPatchIn):
    caller = require_session(request)
    services.channel_set_enabled(user=caller.user, channel_id=channel_id, enabled=data.enabled)
    return next(c for c in selectors.channels_of(user=caller.user) if c.pk == channel_id)


@router.delete("/notify-channels/{int:channel_id}", response={204: None, **errors(401, 403, 404)}, summary="删除通知渠道")
def channel_delete(request, channel_id: int):
    caller = require_session(request)
    services.channel_delete(user=caller.user, channel_id=channel_id)
    return Status(204, None)


@router.post(
    "/notify-channels/{int:channel_id}/test",
    response={202: NotifyDeliveryOut, **errors(401, 403, 404, 429)},
    summary="发送测试消息",
    description="经发件队列发送，结果见 /api/account/notify-deliveries。每小时次数有限（429 rate_limited）。",
)
def channel_test(request, channel_id: int):
    caller = require_session(request)
    return Status(202, services.channel_test(user=caller.user, channel_id=channel_id))


@router.get("/notify-deliveries", response={200: list[NotifyDeliveryOut], **errors(401)}, summary="最近 50 条通知发送记录")
def delivery_list(request):
    return selectors.deliveries_of(user=caller_of(request).user)
