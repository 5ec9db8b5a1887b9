"""The generic connector against the fake PSP over real HTTP: pages through accounts and
transactions with its opaque state, reads balances, sees nothing new on a re-read from the
stored state, sees a changed transaction, and classifies the PSP's injected failures."""

from __future__ import annotations

import httpx
import pytest

from activities.payments.connectors.generic.plugin import GenericPlugin
from domain.payments.plugin import FailureKind, PluginError
from tests.support.payments_fake_psp import serve_fake_psp
from workers.fake_psp import FakePSP


async def test_paging_state_balances_changes_and_faults() -> None:
    psp = FakePSP(api_key="k")
    psp.seed(seed=5, accounts=4, payments=23)
    async with serve_fake_psp(psp) as url, httpx.AsyncClient() as http:
        plugin = GenericPlugin(url, "k", http)

        state = None
        refs: list[str] = []
        while True:
            page = await plugin.fetch_next_payments(state, 10)
            refs += [p.reference for p in page.payments]
            state = page.state
            if not page.has_more:
                break
        assert sorted(refs) == sorted(psp.transactions)
        # From the stored state, a re-read finds only what is at the watermark (idempotent).
        again = await plugin.fetch_next_payments(state, 10)
        assert len(again.payments) <= 1 and not again.has_more
        psp.upsert_transaction({"id": "tx-2", "status": "REFUNDED"})
        changed = await plugin.fetch_next_payments(again.state, 10)
        assert [p.reference for p in changed.payments][-1] == "tx-2"

        accounts = await plugin.fetch_next_accounts(None, 3)
        assert accounts.has_more and len(accounts.accounts) == 3
        rest = await plugin.fetch_next_accounts(accounts.state, 3)
        assert [a.reference for a in rest.accounts] == ["acc-3"] and not rest.has_more
        [balance] = (await plugin.fetch_next_balances("acc-0")).balances
        assert balance.amount == int(psp.balances["acc-0"][0]["amount"])

        for faults, kind in (({"rate_limit": 1}, FailureKind.RATE_LIMITED),
                             ({"fail": 1}, FailureKind.RETRYABLE),
                             ({"garbage": 1}, FailureKind.RETRYABLE)):
            for k, v in faults.items():
                setattr(psp.faults, k, v)
            with pytest.raises(PluginError) as caught:
                await plugin.fetch_next_accounts(None, 3)
            assert caught.value.kind is kind
        with pytest.raises(PluginError) as caught:
            await GenericPlugin(url, "wrong", http).fetch_next_accounts(None, 3)
        assert caught.value.kind is FailureKind.NON_RETRYABLE
