"""Chart-of-accounts properties the Formance contract gives without semantics to enforce:
`.metadata` must have the V2ChartAccountMetadata shape (`{key: {default?: string}}`), `.rules`
(an empty object in the spec) is stored and returned as given."""

from __future__ import annotations

import httpx

V2 = "/api/ledger/v2"


async def test_chart_metadata_shape_and_rules_kept(client: httpx.AsyncClient) -> None:
    assert (await client.post(f"{V2}/cp", json={})).status_code == 204
    for bad in ({"tier": "gold"}, {"tier": {"default": 3}}, {"tier": ["x"]}):
        r = await client.post(f"{V2}/cp/schemas/v1", json={
            "chart": {"users": {"$id": {".metadata": bad}}}})
        assert r.status_code == 400 and r.json()["errorCode"] == "VALIDATION", (bad, r.text)
        assert "chart.users.$id.metadata.tier" in r.json()["errorMessage"], r.text

    chart = {"users": {"$id": {".metadata": {"tier": {"default": "basic"}, "note": {}},
                               ".rules": {"anything": ["kept"]}}}}
    r = await client.post(f"{V2}/cp/schemas/v1", json={"chart": chart})
    assert r.status_code == 204, r.text
    got = (await client.get(f"{V2}/cp/schemas/v1")).json()["data"]
    assert got["chart"] == chart
