"""Errors of the evidence log: stable codes, HTTP statuses, Chinese messages."""
from kadun.core.errors import DomainError, InvalidInput, NotFound


class EntryNotFound(NotFound):
    code = "entry_not_found"
    message = "存证记录不存在。"


class HeadNotFound(NotFound):
    code = "head_not_found"
    message = "没有这个大小的已签名树头。"


class EntryNotIntegrated(NotFound):
    code = "entry_not_integrated"
    message = "该存证记录尚未并入这个大小的树中。"


class InvalidTreeSize(InvalidInput):
    code = "invalid_tree_size"
    message = "树的大小有误：须为不超过已签名树大小的整数。"


class SigningKeyRetired(DomainError):
    code = "signing_key_retired"
    status = 503
    message = "存证签名密钥已停用，请配置新的密钥后重启。"
