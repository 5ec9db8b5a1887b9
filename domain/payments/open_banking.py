"""The open-banking part of a connector (Formance's open-banking plugin type): a link the
payment service user follows to connect a bank, completed when the user comes back. Only the
providers listed here have it; the others refuse a link with a 400."""

from __future__ import annotations

from typing import Protocol

from domain.payments.psu import LinkAttempt

OPEN_BANKING_PROVIDERS = frozenset({"dummypay"})


class OpenBankingPlugin(Protocol):
    async def create_link(self, attempt: LinkAttempt, callback_url: str) -> str:
        """The URL the user follows; the provider sends the user back to `callback_url`."""
        ...

    async def complete_link(self, attempt: LinkAttempt) -> str:
        """The connection's reference once the user came back; NonRetryableError when the
        provider says the link failed (its message is the attempt's error)."""
        ...
