"""The Formance Ledger API (v2, and v1 at the root), mounted by the gateway under /api/ledger."""

from fastapi import APIRouter
from fastapi.routing import APIRoute

from api.ledger import buckets, exporters, logs_io, pipelines, schemas, v1
from api.ledger.context import LedgerRequestContext
from api.ledger.v2 import router as v2_router

router = APIRouter()
# The write path's routes come first: FastAPI tries routes one by one at tens of microseconds
# each, and a create-transaction used to be matched after ~50 others.
HOT_ROUTES = {("POST", "/v2/{ledger}/transactions"), ("POST", "/v2/{ledger}/_bulk")}
for route in list(v2_router.routes):
    if not isinstance(route, APIRoute):
        continue
    if any((method, route.path) in HOT_ROUTES for method in route.methods or ()):
        v2_router.routes.remove(route)
        router.routes.append(route)
# Order matters: v1's `/_info` (the v1 ConfigInfo shape) before v2's; the fixed `/v2/_/...` and
# `/v2/{ledger}/<word>` paths before v2; v1 (`/{ledger}/...`) last so it never shadows `/v2/...`.
# Added as routes of this router itself (not an included router): the gateway looks for a
# module's own `/_info` among its router's routes before adding a generic one.
for route in v1.info_router.routes:
    router.routes.append(route)
# Routes are added flat rather than through include_router: FastAPI re-walks nested routers on
# every request, and the sub-routers add no prefix or dependency that would need it.
for sub in (buckets.router, logs_io.router, schemas.router, exporters.router, pipelines.router,
            v2_router, v1.router):
    router.routes.extend(sub.routes)

__all__ = ["LedgerRequestContext", "router"]
