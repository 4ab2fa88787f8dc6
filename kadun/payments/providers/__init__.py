"""Payment providers. Each implements ``kadun.payments.providers.base.Provider``.

Every provider module registers itself; ``settings.KADUN_PAYMENT_PROVIDERS`` decides which of
them exist for this deployment. A provider that is not enabled is unknown everywhere a buyer or
a gateway can reach it: checkout, the notify endpoint, the sandbox's pay page. Refunds of
payments already made still reach their provider (``registered``)."""
from __future__ import annotations

from django.conf import settings

from kadun.core.errors import DomainError
from kadun.payments.errors import UnknownProvider
from kadun.payments.providers.base import Provider

_PROVIDERS: dict[str, Provider] = {}
WALLET = "wallet"  # pays from the buyer's kadun balance: logged-in buyers only, no gateway


class NoPaymentProvider(DomainError):
    code = "no_payment_provider"
    status = 409
    message = "当前没有可用的在线支付方式，暂时无法下单。"


def register(provider: Provider) -> Provider:
    _PROVIDERS[provider.name] = provider
    return provider


def is_enabled(name: str) -> bool:
    return name in _PROVIDERS and name in settings.KADUN_PAYMENT_PROVIDERS


def get(name: str) -> Provider:
    """An enabled provider, or UnknownProvider."""
    if not is_enabled(name):
        raise UnknownProvider()
    return _PROVIDERS[name]


def registered(name: str) -> Provider:
    """Any registered provider, enabled or not: for payments that already exist."""
    try:
        return _PROVIDERS[name]
    except KeyError:
        raise UnknownProvider() from None


def names() -> list[str]:
    """The enabled providers, in the order of ``KADUN_PAYMENT_PROVIDERS``."""
    return [name for name in settings.KADUN_PAYMENT_PROVIDERS if name in _PROVIDERS]


def choices(*, wallet: bool) -> list[tuple[str, str]]:
    """(name, label) of what checkout may offer; the wallet only to a logged-in buyer."""
    return [(name, _PROVIDERS[name].label) for name in names() if wallet or name != WALLET]


def default() -> str:
    """The provider a checkout that names none pays with: the first enabled gateway."""
    for name in names():
        if name != WALLET:
            return name
    raise NoPaymentProvider()


# --- payout providers (提现) -----------------------------------------------------------------

_PAYOUTS: dict = {}
MANUAL = "manual"


def register_payout(provider):
    _PAYOUTS[provider.name] = provider
    return provider


def payout_provider(name: str):
    """A registered payout provider. The sandbox pays out only where the sandbox is enabled (it
    moves no real money); elsewhere its account kinds fall back to ``manual``."""
    if name == "sandbox" and not is_enabled("sandbox"):
        name = MANUAL
    try:
        return _PAYOUTS[name]
    except KeyError:
        raise UnknownProvider() from None


def payout_provider_for(account_kind: str):
    """The provider that pays this kind of account (``KADUN_PAYOUT_PROVIDERS``; manual if unlisted)."""
    return payout_provider(settings.KADUN_PAYOUT_PROVIDERS.get(account_kind, MANUAL))
