from kadun.core.errors import DomainError, NotFound, RateLimited


class InvalidChannel(DomainError):
    code = "invalid_channel"
    status = 400
    message = "通知渠道的设置有误。"


class ChannelNotFound(NotFound):
    code = "channel_not_found"
    message = "通知渠道不存在，或不属于您。"


class TooManyChannels(DomainError):
    code = "channel_limit"
    status = 409
    message = "通知渠道已达上限，请先删除不用的渠道。"


class TestRateLimited(RateLimited):
    message = "测试消息发送过于频繁，请稍后再试。"
