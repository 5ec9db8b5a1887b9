"""Formance events as the consumers see them, and the one interface a consumer implements."""
