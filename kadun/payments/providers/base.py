"""The payment-provider interface: create a payment, verify a notification, query, refund; and the
payout-provider interface (提现): pay out, verify a result notification, query."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class VerifiedNotification:
    """A notification whose signature and freshness the provider has verified. The payments
    service still checks it against our own payment (amount, currency, merchant)."""

    out_trade_no: str
    gateway_trade_no: str
    amount: int  # 分
    currency: str
    merchant_no: str | None  # our shop for the sandbox; None where the gateway account is the platform's
    succeeded: bool
    # A gateway that signs a nonce (WeChat Pay v3): stored in the notification's transaction, unique
    # per provider, so a replayed notification loses the unique constraint even concurrently.
    nonce: str = ""
    # What the evidence log records of a notification whose parameters are not a form (decrypted JSON).
    details: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class QueryResult:
    """What a gateway answered when asked about a payment (``Provider.query``), from its signed
    or authenticated answer. For ``paid`` it carries the gateway's trade number and the amount
    the gateway says was paid (分): the payments service checks it against our payment exactly as
    it checks a notification's, before crediting."""

    status: str  # 'paid', 'failed' or 'pending'
    gateway_trade_no: str = ""
    amount: int | None = None  # 分; None where the gateway did not say (never for 'paid')
    currency: str = "CNY"
    merchant_no: str | None = None  # our shop where the gateway echoes it; None where the account is the platform's


@dataclass(frozen=True)
class NotifyRequest:
    """A notification as it reached us, for providers that verify the raw request
    (``verify_request``): header names lower-cased, the body's exact bytes, and the form/query
    parameters (GET query or POST form, as the provider's ``notify_methods`` allow)."""

    method: str
    headers: dict
    body: bytes
    params: dict


@dataclass(frozen=True)
class RefundAnswer:
    """What a gateway said of a refund (``refund_send`` / ``query_refund``): ``succeeded``,
    ``processing`` (accepted, finished later: ask again), or, from a query only, ``unknown``
    (the gateway never received it: sending it again is safe, by the refund's number)."""

    state: str
    gateway_no: str = ""


class RefundRefused(Exception):
    """The gateway answered the refund with a refusal. ``code`` is the gateway's error code (never
    its message, never a secret); ``definite``: asking again will not help, staff must act."""

    def __init__(self, code: str, *, definite: bool):
        super().__init__(code)
        self.code, self.definite = code[:80], definite


def answer(provider, ok: bool) -> tuple[int, str, str]:
    """(status, content type, body) the gateway expects; ``success`` unless the provider says."""
    if hasattr(provider, "answer"):
        return provider.answer(ok)
    return (200, "text/plain", "success") if ok else (400, "text/plain", "fail")


class Provider(Protocol):
    name: str
    label: str

    def create_payment(self, *, payment, subject: str, merchant_no: str, return_url: str) -> str:
        """Register the payment with the gateway; return the URL the buyer is sent to. Called in
        the checkout's transaction before the payment is inserted (with that URL): its fields are
        set, its primary key is not."""

    def verify_notification(self, params: dict[str, str]) -> VerifiedNotification:
        """Check signature, timestamp and app id; raise BadNotification with a code otherwise.
        A provider that needs the headers or the body implements ``verify_request(req:
        NotifyRequest)`` instead; ``notify_methods`` (default ("POST",)) lists the HTTP methods
        its gateway notifies with, and ``answer(ok) -> (status, content_type, body)`` what it
        expects back."""

    def query(self, *, payment) -> QueryResult:
        """Ask the gateway for a payment's status ('paid', 'failed' or 'pending'), with the trade
        number and the amount it reports. Raises GatewayError when the gateway cannot be asked
        or its answer cannot be trusted (the caller asks again later)."""

    def refund(self, *, refund) -> str:
        """Refund at the gateway; return the gateway's refund number. Idempotent on refund_no.
        A provider whose gateway can answer "accepted, later" or refuse for good implements
        ``refund_send(refund=) -> RefundAnswer`` (raising RefundRefused), and, where the gateway
        has a refund query, ``query_refund(refund=) -> RefundAnswer``."""


# --- payouts (提现): money from kadun to a merchant's payout account -----------------------------


@dataclass(frozen=True)
class PayoutRequest:
    """What a payout provider is asked to pay. ``payout_no`` (the withdrawal's number) makes the
    request idempotent at the gateway: asking twice pays once."""

    payout_no: str
    amount: int  # 分, what reaches the payee (the fee is already taken)
    currency: str
    account_kind: str  # alipay / wechat / bank / usdt_trc20
    account_no: str
    holder_name: str
    memo: str = ""


@dataclass(frozen=True)
class VerifiedPayout:
    """A payout result notification whose signature and freshness the provider has verified."""

    payout_no: str
    gateway_no: str
    amount: int
    succeeded: bool
    reason: str = ""
    # A gateway that signs a nonce (WeChat 商家转账): claimed once, in the result's transaction.
    nonce: str = ""


class PayoutProvider(Protocol):
    """A payout gateway: Alipay 转账到支付宝账户, WeChat 商家转账到零钱, a bank, or ``manual``
    (staff pay by hand — bank transfer, USDT — and confirm with the transfer's reference).

    ``asynchronous`` providers answer ``payout`` with an acceptance and tell the result later
    through a signed notification (``/pay/payout-notify/<name>/``); the sweeper asks ``query_payout``
    when it never comes. ``manual`` has neither: staff enter the result."""

    name: str
    label: str
    manual: bool

    def payout(self, *, request: PayoutRequest) -> str:
        """Ask the gateway to pay; return its acceptance number. Idempotent on ``payout_no``."""

    def verify_payout_notification(self, params: dict[str, str]) -> VerifiedPayout:
        """Check signature, timestamp and app id; raise BadNotification with a code otherwise.
        A provider whose gateway signs the raw request (headers, body: WeChat) implements
        ``verify_payout_request(req: NotifyRequest)`` instead, and ``answer(ok)`` for what the
        gateway expects back."""

    def query_payout(self, *, payout_no: str) -> tuple[str, str]:
        """The gateway's (status, gateway_no): status 'succeeded', 'failed', 'pending' or 'unknown'
        (never received: the caller may send it again, which is safe by ``payout_no``)."""
