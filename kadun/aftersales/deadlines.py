from kadun.aftersales import services
from kadun.aftersales.services import KIND_MERCHANT_RESPONSE, KIND_REPLACEMENT_DUE
from kadun.deadlines.registry import handler
from kadun.orders.services import KIND_SERVICE_DUE


@handler(KIND_MERCHANT_RESPONSE)
def merchant_response(request_id: int) -> str:
    return services.merchant_silent(request_id)


@handler(KIND_REPLACEMENT_DUE)
def replacement_due(request_id: int) -> str:
    return services.replacement_overdue(request_id)


@handler(KIND_SERVICE_DUE)
def service_due(order_id: int) -> str:
    return services.service_overdue(order_id)
