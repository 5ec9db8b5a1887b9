"""Settings shared by every process. A leaf package: it imports nothing of ours."""

from config.settings import Settings, get_settings

__all__ = ["Settings", "get_settings"]
