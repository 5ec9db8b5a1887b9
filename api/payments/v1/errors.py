"""The v1 error answers: the app's one error mapping (api/errors.py), its code then told in the
v1 enum (domain/payments/v1/errors.py), same HTTP status, message and headers. Done per route
(the route class of every v1 router), so the v3 routes beside them keep their own codes."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from api.errors import error_response, error_response_for
from domain.payments.v1.errors import v1_code

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class V1Route(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def v1_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:  # every failure is answered, in v1 codes
                return v1_error(await error_response_for(request, exc))

        return v1_handler


def v1_error(response: JSONResponse) -> JSONResponse:
    body = json.loads(bytes(response.body))
    headers = {k: v for k, v in response.headers.items()
               if k.lower() not in ("content-length", "content-type")}
    return error_response(response.status_code, v1_code(body["errorCode"],
                                                        response.status_code),
                          body["errorMessage"], body.get("details"), headers=headers)
