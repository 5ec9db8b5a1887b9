"""Account reads (one, a page, a count, with volumes at a point in time), aggregated balances
and volumes per account and asset."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    case,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on

from domain.ledger.models import (
    Account,
    VolumeRow,
    Volumes,
)
from domain.ledger.query import ListQuery, Page, make_page
from storage.ledger import filters
from storage.ledger.store.keys import attr_key, page_key, volumes_of
from storage.ledger.store.unit_of_work import StoreBase
from storage.ledger.tables import accounts, accounts_volumes, moves


class AccountsStore(StoreBase):
    @staticmethod
    def _account(row: Any) -> Account:
        return Account(address=row.address, metadata=row.metadata, first_usage=row.first_usage,
                       insertion_date=row.insertion_date, updated_at=row.updated_at)

    async def get_account(self, ledger: str, address: str, expand: tuple[str, ...] = (),
                          pit: datetime | None = None) -> Account | None:
        stmt = select(accounts).where(accounts.c.ledger == ledger, accounts.c.address == address)
        if pit is not None:
            stmt = stmt.where(accounts.c.first_usage <= pit)
        rows = await self._rows(stmt)
        if not rows:
            return None
        account = self._account(rows[0])
        await self._expand_accounts(ledger, [account], expand, pit)
        return account

    def _accounts_stmt(self, ledger: str, q: ListQuery) -> Select[Any]:
        return select(accounts).where(
            accounts.c.ledger == ledger, filters.accounts_filter(q.filter, pit=q.pit))

    async def list_accounts(self, ledger: str, query: ListQuery) -> Page[Account]:
        rows = await self._rows(filters.paginate(self._accounts_stmt(ledger, query), query))
        items = [self._account(r) for r in rows]
        await self._expand_accounts(ledger, items, query.expand, query.pit)
        return make_page(query, items, page_key(query, attr_key))

    async def count_accounts(self, ledger: str, query: ListQuery) -> int:
        inner = self._accounts_stmt(ledger, query).subquery()
        rows = await self._rows(select(func.count()).select_from(inner))
        return int(rows[0][0])

    async def _expand_accounts(self, ledger: str, items: list[Account], expand: tuple[str, ...],
                               pit: datetime | None) -> None:
        if not expand or not items:
            return
        addresses = [a.address for a in items]
        by_address = {a.address: a for a in items}
        for kind in ("volumes", "effectiveVolumes"):
            if kind not in expand:
                continue
            found = await self._volumes_at(ledger, addresses, pit, effective=kind != "volumes")
            for a in items:
                vols = found.get(a.address, {})
                if kind == "volumes":
                    a.volumes = vols
                else:
                    a.effective_volumes = vols
        del by_address

    async def _volumes_at(self, ledger: str, addresses: list[str], pit: datetime | None,
                          *, effective: bool) -> dict[str, dict[str, Volumes]]:
        """Current volumes, or at pit: the post-commit (effective) volumes of the latest move at
        or before pit, by insertion date (volumes) or effective date (effectiveVolumes)."""
        out: dict[str, dict[str, Volumes]] = {}
        if pit is None:
            v = accounts_volumes.c
            rows = await self._rows(select(v.address, v.asset, v.input, v.output).where(
                v.ledger == ledger, v.address.in_(addresses)))
            for r in rows:
                out.setdefault(r.address, {})[r.asset] = volumes_of(r.input, r.output)
            return out
        m = moves.c
        date = m.effective_date if effective else m.insertion_date
        vin = m.post_commit_effective_volumes_input if effective else m.post_commit_volumes_input
        vout = (m.post_commit_effective_volumes_output if effective
                else m.post_commit_volumes_output)
        stmt = (
            select(m.account_address, m.asset, vin.label("i"), vout.label("o"))
            .where(m.ledger == ledger, m.account_address.in_(addresses), date <= pit)
            .ext(distinct_on(m.account_address, m.asset))
            .order_by(m.account_address, m.asset, date.desc(), m.seq.desc())
        )
        for r in await self._rows(stmt):
            out.setdefault(r.account_address, {})[r.asset] = volumes_of(r.i, r.o)
        return out

    async def aggregate_balances(self, ledger: str, query: ListQuery) -> dict[str, int]:
        use_insertion = bool(query.options.get("useInsertionDate"))
        matching = select(accounts.c.address).where(
            accounts.c.ledger == ledger,
            filters.accounts_filter(query.filter, pit=query.pit,
                                    use_insertion_date=use_insertion),
        )
        if query.pit is None:
            v = accounts_volumes.c
            stmt = (select(v.asset, func.sum(v.input - v.output).label("balance"))
                    .where(v.ledger == ledger, v.address.in_(matching))
                    .group_by(v.asset).order_by(v.asset))
        else:
            m = moves.c
            date = m.insertion_date if use_insertion else m.effective_date
            vin = m.post_commit_volumes_input if use_insertion else (
                m.post_commit_effective_volumes_input)
            vout = m.post_commit_volumes_output if use_insertion else (
                m.post_commit_effective_volumes_output)
            latest = (
                select(m.asset, (vin - vout).label("balance"))
                .where(m.ledger == ledger, m.account_address.in_(matching), date <= query.pit)
                .ext(distinct_on(m.account_address, m.asset))
                .order_by(m.account_address, m.asset, date.desc(), m.seq.desc())
            ).subquery()
            stmt = (select(latest.c.asset, func.sum(latest.c.balance).label("balance"))
                    .group_by(latest.c.asset).order_by(latest.c.asset))
        return {r.asset: int(r.balance) for r in await self._rows(stmt)}

    async def list_volumes(self, ledger: str, query: ListQuery) -> Page[VolumeRow]:
        insertion = bool(query.options.get("insertionDate"))
        group_by = query.options.get("groupBy")
        if query.pit is None and query.oot is None:
            v = accounts_volumes.c
            base = select(v.address.label("address"), v.address.label("full_address"),
                          v.asset.label("asset"), v.input.label("input"),
                          v.output.label("output")).where(v.ledger == ledger)
        else:
            m = moves.c
            date = m.insertion_date if insertion else m.effective_date
            conds: list[ColumnElement[bool]] = [m.ledger == ledger]
            if query.pit is not None:
                conds.append(date <= query.pit)
            if query.oot is not None:
                conds.append(date >= query.oot)
            base = (
                select(m.account_address.label("address"),
                       m.account_address.label("full_address"), m.asset.label("asset"),
                       func.sum(case((m.is_source, 0), else_=m.amount)).label("input"),
                       func.sum(case((m.is_source, m.amount), else_=0)).label("output"))
                .where(*conds).group_by(m.account_address, m.asset)
            )
        src = base.subquery("vols")
        if isinstance(group_by, int) and group_by > 0:
            grouped = func.array_to_string(
                func.string_to_array(src.c.address, ":", type_=ARRAY(Text))[1:group_by], ":")
            src = (select(grouped.label("address"), grouped.label("full_address"),
                          src.c.asset, func.sum(src.c.input).label("input"),
                          func.sum(src.c.output).label("output"))
                   .group_by(grouped, src.c.asset)).subquery("grouped")
        rows_src = select(src.c.address, src.c.asset, src.c.input, src.c.output,
                          (src.c.input - src.c.output).label("balance")).subquery("rows")
        stmt = select(rows_src).where(filters.volumes_filter(
            query.filter, ledger=ledger, address=rows_src.c.address, asset=rows_src.c.asset,
            balance=rows_src.c.balance))
        stmt = filters.paginate(stmt, query, {"address": rows_src.c.address,
                                              "asset": rows_src.c.asset})
        items = [VolumeRow(r.address, r.asset, int(r.input), int(r.output))
                 for r in await self._rows(stmt)]
        return make_page(query, items, lambda x: (x.account, x.asset))
