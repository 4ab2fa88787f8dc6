"""Errors of the evidence log: stable codes, HTTP statuses, Chinese messages."""
from kadun.core.errors import DomainError, Forbidden, InvalidInput, NotFound


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


class DossierNotYet(Forbidden):
    code = "dossier_not_yet"
    message = "售后工单裁决后，或平台超出处理时限、商家逾期未处理后，才能下载投诉材料。"


class DossierBuyerOnly(Forbidden):
    code = "dossier_buyer_only"
    message = "投诉材料只供订单的买家和平台下载。"


class InvalidSince(DomainError):
    code = "invalid_since"
    message = "since 应为您保存的树头的 tree_size（正整数）。"
