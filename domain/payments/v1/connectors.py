"""Which connector a v1 path means. The legacy paths that name only a provider
(`/connectors/{connector}/config`, `DELETE /connectors/{connector}`, ...) date from one
connector per provider: they act on the single connector of that provider, and refuse to guess
when there are several."""

from __future__ import annotations

from collections.abc import Iterable

from domain.errors import NotFoundError, ValidationError
from domain.payments.models import Connector
from domain.payments.v1.providers import v1_provider


def only_connector(provider: str, connectors: Iterable[Connector]) -> Connector:
    """The one installed connector of `provider` (v3 name). One being uninstalled does not
    count beside a live one (a reset replaces the connector by a copy under a new id: both
    exist for a moment), but is still found alone, so that an uninstall can be asked again."""
    of_provider = [c for c in connectors if c.provider == provider]
    found = [c for c in of_provider if not c.scheduled_for_deletion] or of_provider
    if not found:
        raise NotFoundError(f"no {v1_provider(provider)} connector is installed")
    if len(found) > 1:
        raise ValidationError(
            f"{len(found)} {v1_provider(provider)} connectors are installed: name the one "
            f"meant with /connectors/{v1_provider(provider)}/{{connectorId}}/... "
            f"({', '.join(c.id for c in found)})")
    return found[0]


def check_provider(connector: Connector, provider: str) -> Connector:
    """The connector a path names by id, if it is of the provider the path also names."""
    if connector.provider != provider:
        raise ValidationError(
            f"connector {connector.id!r} is a {v1_provider(connector.provider)} connector, not "
            f"{v1_provider(provider)}")
    return connector
