"""The case deadlines and their written default outcomes (records.DEFAULT_OUTCOMES). Each
deadline's subject is a ``CaseWait``; the service re-checks under the order's lock that the case
still waits on it, so a superseded wait fires as a no-op."""
from kadun.cases import negotiation, records, remedies, review, services, sla
from kadun.deadlines.registry import handler

SERVICES = {
    records.KIND_MERCHANT: services.merchant_silent,
    records.KIND_FOLLOWUP: services.buyer_silent,
    records.KIND_OFFER: negotiation.offer_silent,
    records.KIND_EVIDENCE: review.evidence_missed,
    records.KIND_EFFECTIVE: review.decision_effective,
    records.KIND_REPLACEMENT: remedies.replacement_overdue,
    sla.KIND_SLA: sla.sla_check,
}


def _register(kind: str, service) -> None:
    @handler(kind)
    def fire(wait_id: int) -> str:
        wait = records.waited(wait_id, kind)
        return "noop" if wait is None else service(wait)


for _kind, _service in SERVICES.items():
    _register(_kind, _service)
