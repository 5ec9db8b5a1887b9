"""Provider names as the v1 API spells them (its `Connector` enum: DUMMY-PAY, GENERIC, ...)
and as the v3 core does (dummypay, generic). A v1 path names a provider either way."""

from __future__ import annotations

# The v1 enum's spelling of each v3 provider that has one.
_V1_NAMES = {
    "adyen": "ADYEN", "atlar": "ATLAR", "bankingcircle": "BANKING-CIRCLE",
    "currencycloud": "CURRENCY-CLOUD", "dummypay": "DUMMY-PAY", "generic": "GENERIC",
    "mangopay": "MANGOPAY", "modulr": "MODULR", "moneycorp": "MONEYCORP", "stripe": "STRIPE",
    "wise": "WISE",
}


def v1_provider(v3_name: str) -> str:
    return _V1_NAMES.get(v3_name, v3_name.upper())


def v3_provider(v1_name: str) -> str:
    """`DUMMY-PAY`, `dummypay` and `DummyPay` all name dummypay (the registry then says whether
    such a provider exists)."""
    return v1_name.replace("-", "").lower()
