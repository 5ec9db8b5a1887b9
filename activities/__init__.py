"""Every side effect Temporal performs, one package per process:
contracts, stubs and implementations."""
