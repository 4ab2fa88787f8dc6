from kadun.deadlines.registry import batch_handler, handler
from kadun.orders import services
from kadun.orders.services import KIND_AUTOCONFIRM, KIND_EXPIRE, KIND_SETTLE


@handler(KIND_EXPIRE)
def expire(order_id: int) -> str:
    return services.order_expire(order_id=order_id)


@handler(KIND_AUTOCONFIRM)
def autoconfirm(order_id: int) -> str:
    return services.order_autoconfirm(order_id=order_id)


@handler(KIND_SETTLE)
def settle(order_id: int) -> str:
    return services.order_settle(order_id=order_id)


@batch_handler(KIND_EXPIRE)
def expire_many(order_ids: list[int]) -> dict[int, str]:
    return services.orders_expire(order_ids=order_ids)


@batch_handler(KIND_AUTOCONFIRM)
def autoconfirm_many(order_ids: list[int]) -> dict[int, str]:
    return services.orders_autoconfirm(order_ids=order_ids)


@batch_handler(KIND_SETTLE)
def settle_many(order_ids: list[int]) -> dict[int, str]:
    return services.orders_settle(order_ids=order_ids)

# KIND_SERVICE_DUE is handled in aftersales: the refund by rule also closes open refund requests.
