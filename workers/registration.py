"""What one module runs on its task queue. Each workers/<m>.py returns one from `register()`;
workers/registry.py collects them. This module imports no module, so there is no cycle."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Registration:
    task_queue: str
    workflows: list[type] = field(default_factory=list)
    activities: list[Callable[..., Any]] = field(default_factory=list)
    # Run once the workers stopped: what the activities opened (HTTP clients) is closed.
    on_close: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)

    async def close(self) -> None:
        for close in self.on_close:
            await close()

    def __bool__(self) -> bool:
        return bool(self.workflows or self.activities)
