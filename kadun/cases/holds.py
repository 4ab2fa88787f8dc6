"""An open case holds its order's money (no confirmation, no settlement) until it closes."""
from kadun.cases.models import Case
from kadun.cases.states import OPEN


def holds_order(order_id: int) -> bool:
    return Case.objects.filter(order_id=order_id, status__in=list(OPEN)).exists()


def register() -> None:
    from kadun.orders.services import hold_register

    hold_register("case", holds_order)
