"""Payment providers. Each implements ``kadun.payments.providers.base.Provider``."""
from __future__ import annotations

from kadun.payments.errors import UnknownProvider
from kadun.payments.providers.base import Provider

_PROVIDERS: dict[str, Provider] = {}


def register(provider: Provider) -> Provider:
    _PROVIDERS[provider.name] = provider
    return provider


def get(name: str) -> Provider:
    try:
        return _PROVIDERS[name]
    except KeyError:
        raise UnknownProvider() from None


def names() -> list[str]:
    return list(_PROVIDERS)
