"""The payments v3 API (api/payments/router.py)."""

from api.payments.initiations_router import router as initiations_router
from api.payments.psu_router import router as psu_router
from api.payments.router import router
from api.payments.v1 import router as v1_router

router.routes.extend(initiations_router.routes)  # /v3/payment-initiations
router.routes.extend(psu_router.routes)  # /v3/payment-service-users

router.routes.extend(v1_router.routes)  # the legacy v1 API at the root, beside /v3

__all__ = ["router"]
