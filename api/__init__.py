"""FastAPI routers per module and version, mirroring the Formance gateway paths."""
