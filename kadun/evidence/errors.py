from kadun.core.errors import DomainError, Forbidden


class DossierNotYet(Forbidden):
    code = "dossier_not_yet"
    message = "售后工单裁决后，或平台超出处理时限、商家逾期未处理后，才能下载投诉材料。"


class DossierBuyerOnly(Forbidden):
    code = "dossier_buyer_only"
    message = "投诉材料只供订单的买家和平台下载。"


class InvalidSince(DomainError):
    code = "invalid_since"
    message = "since 应为您保存的树头的 tree_size（正整数）。"
