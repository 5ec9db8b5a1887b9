"""The providers this stack has, by lowercase name. `GET /v3/connectors/configs` lists exactly
these; installing any other name is a 400. Implementations are registered beside the activities
(activities/payments/connectors), keyed by the same names."""

from __future__ import annotations

from domain.payments.errors import ProviderNotFoundError
from domain.payments.models import Capability
from domain.payments.plugin import ConfigField, DataType, ProviderSpec

GENERIC = ProviderSpec(
    name="generic",
    display_name="Generic",
    capabilities=(Capability.FETCH_ACCOUNTS, Capability.FETCH_BALANCES,
                  Capability.FETCH_EXTERNAL_ACCOUNTS, Capability.FETCH_PAYMENTS),
    fields=(ConfigField("apiKey", DataType.STRING, True),
            ConfigField("endpoint", DataType.STRING, True)),
)

PROVIDERS: dict[str, ProviderSpec] = {p.name: p for p in (GENERIC,)}


def provider(name: str) -> ProviderSpec:
    spec = PROVIDERS.get(name.lower())
    if spec is None:
        raise ProviderNotFoundError(name)
    return spec
