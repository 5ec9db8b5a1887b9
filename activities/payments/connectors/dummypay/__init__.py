"""The `dummypay` connector: what a provider holds, read from JSON files in a directory."""
