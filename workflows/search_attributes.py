"""Custom search attributes, registered on the dev server at start and declared in
docker-compose for production, so every workflow is findable in the Temporal UI."""

from temporalio.common import SearchAttributeIndexedValueType, SearchAttributeKey

LEDGER = SearchAttributeKey.for_keyword("LedgerflowLedger")
STATUS = SearchAttributeKey.for_keyword("LedgerflowStatus")
CONFIG_ID = SearchAttributeKey.for_keyword("LedgerflowConfigId")
EVENT_TYPE = SearchAttributeKey.for_keyword("LedgerflowEventType")
WALLET_ID = SearchAttributeKey.for_keyword("LedgerflowWalletId")
CONNECTOR_ID = SearchAttributeKey.for_keyword("LedgerflowConnectorId")
INSTANCE_ID = SearchAttributeKey.for_keyword("LedgerflowInstanceId")
PROVIDER = SearchAttributeKey.for_keyword("LedgerflowProvider")
# What kind of thing the workflow moves or checks: a payment initiation's type (TRANSFER,
# PAYOUT), a reconciliation rule's kind.
KIND = SearchAttributeKey.for_keyword("LedgerflowKind")
FLOW_ID = SearchAttributeKey.for_keyword("LedgerflowFlowId")
# A server on SQL visibility (the dev server, PostgreSQL) takes at most 10 custom Keyword
# attributes, and the ten above use them all. Reconciliation policy and rule ids go in CONFIG_ID
# ("the configuration this workflow runs", as a webhook config does); the trigger that started a
# flow instance is a KeywordList, which has its own quota.
TRIGGER_ID = SearchAttributeKey.for_keyword_list("LedgerflowTriggerId")

ALL = (LEDGER, STATUS, CONFIG_ID, EVENT_TYPE, WALLET_ID, CONNECTOR_ID, INSTANCE_ID, PROVIDER,
       KIND, FLOW_ID, TRIGGER_ID)


_TYPE_NAMES = {
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
}


def type_name(key: SearchAttributeKey) -> str:  # type: ignore[type-arg]
    """The type as `temporal operator search-attribute create --type` spells it."""
    return _TYPE_NAMES[key.indexed_value_type]


def cli_flags() -> list[str]:
    """`--search-attribute Name=Type ...` for `temporal server start-dev`."""
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={type_name(key)}"]
    return flags
