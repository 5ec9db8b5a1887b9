"""The in-flight body budget of api/input_guard.py: bodies are served while they add up to at
most the budget, first come first served, and a cancelled waiter gives its turn away."""

from __future__ import annotations

import asyncio

from api.input_guard import ByteBudget


async def test_served_while_they_fit_then_in_order() -> None:
    budget = ByteBudget(100)
    assert await budget.acquire(60) == 60
    assert await budget.acquire(40) == 40
    order: list[str] = []

    async def take(name: str, size: int) -> None:
        taken = await budget.acquire(size)
        order.append(name)
        budget.release(taken)

    big = asyncio.create_task(take("big", 500))  # larger than the budget: takes all of it
    await asyncio.sleep(0)
    small = asyncio.create_task(take("small", 10))  # does not overtake the big one
    await asyncio.sleep(0)
    assert order == []
    budget.release(60)
    await asyncio.sleep(0)
    assert order == []  # 40 still in use: the big one needs the whole budget
    budget.release(40)
    await asyncio.gather(big, small)
    assert order == ["big", "small"]
    assert budget.used == 0


async def test_a_cancelled_waiter_lets_the_next_one_in() -> None:
    budget = ByteBudget(100)
    held = await budget.acquire(80)
    first = asyncio.create_task(budget.acquire(50))
    await asyncio.sleep(0)
    second = asyncio.create_task(budget.acquire(20))
    await asyncio.sleep(0)
    assert not second.done()  # queued behind the first
    first.cancel()
    assert await second == 20
    budget.release(20)
    budget.release(held)
    assert budget.used == 0 and not budget.waiters
