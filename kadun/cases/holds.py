"""An open case holds its order's money (no confirmation, no settlement) until it closes."""
from kadun.cases.models import Case
from kadun.cases.states import OPEN


def holds_order(order_id: int) -> bool:
    return Case.objects.filter(order_id=order_id, status__in=list(OPEN)).exists()


def order_refunded(order_id: int, refund_key: str) -> None:
    """The order was refunded in full by another path (a service deadline, a refund request):
    an open money case on it has nothing left to decide and closes (in the refund's transaction,
    under the order's lock). A refund the case itself carries out (key ``case:…``) closes it there."""
    if refund_key.startswith("case:"):
        return
    from kadun.cases import services

    for case in Case.objects.select_related("order", "order__shop").filter(order_id=order_id, status__in=list(OPEN)):
        services.case_close_if_order_refunded(case)


def register() -> None:
    from kadun.orders.services import hold_register, refunded_listen

    hold_register("case", holds_order)
    refunded_listen(order_refunded)
