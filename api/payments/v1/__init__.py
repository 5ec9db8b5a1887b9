"""The payments v1 API (the v1-2 spec, `sdk.payments.v1`), served at the root of
/api/payments beside /v3: one router per resource, each route a translation onto the v3 service
and the v3 workflow starts, answering errors in the v1 codes (api/payments/v1/errors.py)."""

from fastapi import APIRouter

from api.payments.v1 import (
    accounts,
    bank_accounts,
    connectors,
    payments,
    pools,
    transfer_initiations,
)

router = APIRouter()
for _part in (connectors, accounts, payments, bank_accounts, pools, transfer_initiations):
    # Added flat (no prefix to apply): an included router is walked again on every request.
    router.routes.extend(_part.router.routes)

__all__ = ["router"]
