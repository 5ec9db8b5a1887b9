"""Connector implementations, by the provider names of domain/payments/registry.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from activities.payments.connectors.dummypay.plugin import DummypayPlugin
from activities.payments.connectors.generic.plugin import GenericPlugin
from domain.payments.plugin import ConnectorPlugin

Factory = Callable[[dict[str, Any], httpx.AsyncClient], ConnectorPlugin]

FACTORIES: dict[str, Factory] = {"dummypay": DummypayPlugin.from_config,
                                 "generic": GenericPlugin.from_config}
