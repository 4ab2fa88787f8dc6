from kadun.deadlines.registry import handler
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

# KIND_SERVICE_DUE is handled in aftersales: the refund by rule also closes open refund requests.
