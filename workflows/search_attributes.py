"""Custom search attributes, registered on the dev server at start and declared in
docker-compose for production, so every workflow is findable in the Temporal UI."""

from temporalio.common import SearchAttributeKey

LEDGER = SearchAttributeKey.for_keyword("LedgerflowLedger")
STATUS = SearchAttributeKey.for_keyword("LedgerflowStatus")
CONFIG_ID = SearchAttributeKey.for_keyword("LedgerflowConfigId")
EVENT_TYPE = SearchAttributeKey.for_keyword("LedgerflowEventType")
WALLET_ID = SearchAttributeKey.for_keyword("LedgerflowWalletId")
CONNECTOR_ID = SearchAttributeKey.for_keyword("LedgerflowConnectorId")
INSTANCE_ID = SearchAttributeKey.for_keyword("LedgerflowInstanceId")

ALL = (LEDGER, STATUS, CONFIG_ID, EVENT_TYPE, WALLET_ID, CONNECTOR_ID, INSTANCE_ID)


def cli_flags() -> list[str]:
    """`--search-attribute Name=Keyword ...` for `temporal server start-dev`."""
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}=Keyword"]
    return flags
