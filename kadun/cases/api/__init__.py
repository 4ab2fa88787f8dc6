"""After-sales cases (售后工单) over the API: the buyer's and the merchant's endpoints
(``parties``, ``merchant``) and the platform's (``staff``). Mounted at the API's root by
``kadun/api.py``; paths are written out in full (``/orders/{order_no}/cases``,
``/cases/{case_no}``, ``/merchant/cases``, ``/staff/cases`` …).

Who may do what:
- A case is visible to whoever may see its order (``orders.selectors.order_access``): its buyer
  (API key with the buyer scope, session, or a guest's ``X-Order-Token``) and its merchant (a
  key with the merchant scope, or session); staff on ``/staff/``. Everyone else gets 404, the
  same as for a case that does not exist. A key acts only in the roles its scopes name.
- The side of every action (a message, asking the platform, an appeal) is the caller's role on
  the order, never a field of the request. Only the buyer opens, withdraws, and answers offers
  (others: 403 ``not_the_buyer``). Only the merchant makes offers and keeps replacement promises
  (``/merchant/cases/...``).
- Internal notes and staff-only events are never part of a buyer's or merchant's response: not
  in the case, not in the thread, not as an attachment (404).
- Errors are ``{code, message}``; each endpoint's OpenAPI entry lists its codes per status
  (``x-error-codes``). Every POST takes an optional ``Idempotency-Key``.
"""
from ninja import Router

from kadun.cases.api.merchant import router as merchant_router
from kadun.cases.api.parties import router as parties_router
from kadun.cases.api.staff import router as staff_router

router = Router()
router.add_router("", parties_router)
router.add_router("", merchant_router)
router.add_router("", staff_router)
