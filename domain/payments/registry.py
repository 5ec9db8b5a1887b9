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
                  Capability.FETCH_EXTERNAL_ACCOUNTS, Capability.FETCH_PAYMENTS,
                  Capability.CREATE_TRANSFER, Capability.CREATE_PAYOUT),
    fields=(ConfigField("apiKey", DataType.STRING, True),
            ConfigField("endpoint", DataType.STRING, True)),
)

# Formance's test connector: reads what it "holds" from JSON files in a local directory
# (activities/payments/connectors/dummypay documents the files). It is the one that lets
# Formance create accounts and payments by hand, and creates external accounts for forwarded
# bank accounts. It also reads orders and conversions (FETCH_ORDERS, FETCH_CONVERSIONS, which
# Formance's exchange connectors have) so they can be ingested without an exchange.
DUMMYPAY = ProviderSpec(
    name="dummypay",
    display_name="Dummypay",
    capabilities=(Capability.FETCH_ACCOUNTS, Capability.FETCH_BALANCES,
                  Capability.FETCH_EXTERNAL_ACCOUNTS, Capability.FETCH_PAYMENTS,
                  Capability.FETCH_ORDERS, Capability.FETCH_CONVERSIONS,
                  Capability.CREATE_BANK_ACCOUNT, Capability.CREATE_TRANSFER,
                  Capability.CREATE_PAYOUT, Capability.ALLOW_FORMANCE_ACCOUNT_CREATION,
                  Capability.ALLOW_FORMANCE_PAYMENT_CREATION),
    fields=(ConfigField("directory", DataType.STRING, True),),
)

PROVIDERS: dict[str, ProviderSpec] = {p.name: p for p in (DUMMYPAY, GENERIC)}


def provider(name: str) -> ProviderSpec:
    spec = PROVIDERS.get(name.lower())
    if spec is None:
        raise ProviderNotFoundError(name)
    return spec
