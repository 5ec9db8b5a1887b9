"""The v3 JSON shapes of payment service users, their connections and link attempts."""

from __future__ import annotations

from typing import Any

from domain.payments.events import iso
from domain.payments.psu import Connection, LinkAttempt, PaymentServiceUser


def psu(p: PaymentServiceUser) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "createdAt": iso(p.created_at),
            "contactDetails": p.contact_details, "address": p.address,
            "bankAccountIDs": list(p.bank_account_ids), "metadata": p.metadata}


def connection(c: Connection) -> dict[str, Any]:
    return {"connectionID": c.id, "connectorID": c.connector_id,
            "createdAt": iso(c.created_at), "dataUpdatedAt": iso(c.data_updated_at),
            "status": c.status.value, "error": c.error, "metadata": c.metadata}


def attempt(a: LinkAttempt) -> dict[str, Any]:
    return {"id": a.id, "psuID": a.psu_id, "connectorID": a.connector_id,
            "createdAt": iso(a.created_at), "status": a.status.value,
            "clientRedirectURL": a.client_redirect_url, "error": a.error}
