"""The Formance orchestration API under /api/orchestration: v2 under /v2, v1 at the root."""

from api.orchestration.routes import build

router = build(2)
router.routes.extend(build(1).routes)

__all__ = ["router"]
