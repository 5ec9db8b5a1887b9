"""The Formance wallets chart of accounts and metadata keys, kept byte for byte so that a ledger
written by Formance wallets reads the same here, and the other way round."""

from __future__ import annotations

LEDGER_ACCOUNT = "ACCOUNT"

SPEC_TYPE = "wallets/spec/type"
PRIMARY_WALLET = "wallets.primary"
HOLD_WALLET = "wallets.hold"
WALLET_ID = "wallets/id"
WALLET_NAME = "wallets/name"
WALLET_CREATED_AT = "wallets/createdAt"
CUSTOM_DATA_PREFIX = "wallets/custom_data_"
BALANCES = "wallets/balances"
BALANCE_NAME = "wallets/balances/name"
BALANCE_EXPIRES_AT = "wallets/balances/expiresAt"
BALANCE_PRIORITY = "wallets/balances/priority"
TRANSACTION = "wallets/transaction"
HOLD_WALLET_ID = "wallets/holds/wallet_id"
HOLD_ID = "wallets/holds/id"
HOLD_ASSET = "wallets/holds/asset"
HOLD_SUBJECT = "wallets/holds/subject"
HOLD_DESCRIPTION = "wallets/holds/description"
HOLD_DESTINATION = "destination"
HOLD_VOID_DESTINATION = "void_destination"
# Ledgerflow extension (hold expiry runs in the hold workflow); Formance ignores unknown keys.
HOLD_EXPIRES_AT = "wallets/holds/expiresAt"


class Chart:
    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix

    def _address(self, raw: str) -> str:
        # Formance strips every '-' from the joined address, so UUIDs lose their dashes (and two
        # ids differing only by dashes alias the same account): kept for compatibility.
        address = f"{self.prefix}:{raw}" if self.prefix else raw
        return address.replace("-", "")

    def balance_account(self, wallet_id: str, balance: str) -> str:
        return self._address(f"wallets:{wallet_id}:{balance}")

    def main_account(self, wallet_id: str) -> str:
        return self.balance_account(wallet_id, "main")

    def hold_account(self, hold_id: str) -> str:
        return self._address(f"wallets:holds:{hold_id}")


def encode_custom(metadata: dict[str, str]) -> dict[str, str]:
    return {f"{CUSTOM_DATA_PREFIX}{k}": v for k, v in metadata.items()}


def decode_custom(metadata: dict[str, str]) -> dict[str, str]:
    n = len(CUSTOM_DATA_PREFIX)
    return {k[n:]: v for k, v in metadata.items() if k.startswith(CUSTOM_DATA_PREFIX)}
