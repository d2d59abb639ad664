"""The ERP interface as a FastAPI app: bearer token, JSON in and out, one error envelope."""

from __future__ import annotations

import hmac
import logging
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.limits import BodyLimit
from api.runs import RunStarter, no_runs
from domain.intake import IntakeError, load_json
from services import credit_notes, documents
from services.document_errors import DocumentError, invalid
from services.resources import Resources

log = logging.getLogger("amazon_payments.api")
bearer = HTTPBearer(auto_error=False, description="AMAZON_PAYMENTS_API_TOKEN")


class Unauthorized(Exception):
    """No token, or not the right one."""


def make_app(res: Resources, token: str | None, start_run: RunStarter = no_runs) -> FastAPI:
    """The app on these resources; `token` None serves without one (loopback only)."""
    expected = token.encode() if token else None

    def authorized(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> None:
        if expected is None:
            return
        given = credentials.credentials.encode() if credentials else b""
        if not hmac.compare_digest(given, expected):
            raise Unauthorized

    app = FastAPI(
        title="Amazon Payments: the ERP interface",
        description="Documents that change, ship, come back and get cancelled.",
        dependencies=[Depends(authorized)],
    )
    app.add_middleware(BodyLimit)
    app.state.res = res
    app.state.start_run = start_run
    app.add_exception_handler(DocumentError, _document_error)  # type: ignore[arg-type]
    app.add_exception_handler(Unauthorized, _unauthorized)
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _internal)
    _routes(app)
    return app


def _routes(app: FastAPI) -> None:
    res: Resources = app.state.res
    start_run: RunStarter = app.state.start_run

    @app.post("/orders", status_code=201, openapi_extra=_body("an order, `orders import` schema"))
    async def post_order(request: Request) -> JSONResponse:
        answer = await run_in_threadpool(documents.intake, res, await _json(request))
        if answer.changed:
            start_run("authorize", answer.document["number"])
        return JSONResponse(answer.document, status_code=201 if answer.changed else 200)

    @app.get("/documents/{number}")
    def get_document(number: str) -> dict[str, Any]:
        return documents.view(res, number)

    @app.get("/documents")
    def list_documents(
        status: str | None = None,
        type: str | None = None,  # noqa: A002 - the ERP's word
        limit: Annotated[int, Query(ge=1, le=documents.MAX_PAGE)] = 50,
        after: str | None = None,
    ) -> dict[str, Any]:
        found, cursor = documents.page(res, status, type, limit, after)
        return {"documents": found, "next": cursor}

    @app.patch("/documents/{number}", openapi_extra=_body("`items` and/or `shipping`"))
    async def patch_document(number: str, request: Request) -> JSONResponse:
        answer = await run_in_threadpool(documents.change, res, number, await _json(request))
        return JSONResponse(answer.document)

    @app.post("/documents/{number}/shipment", status_code=202)
    def post_shipment(number: str) -> JSONResponse:
        answer = documents.ship(res, number)
        if answer.changed:
            start_run("activate", number)
        return JSONResponse(answer.document, status_code=202)

    @app.post(
        "/documents/{number}/returns",
        status_code=201,
        openapi_extra=_body('`{"number"?, "items": [{"sku", "quantity"}], "shipping"}`'),
    )
    async def post_return(number: str, request: Request) -> JSONResponse:
        body = await _json(request)
        answer = await run_in_threadpool(credit_notes.create_return, res, number, body)
        if answer.changed:
            start_run("refund", answer.document["number"])
        return JSONResponse(answer.document, status_code=201 if answer.changed else 200)

    @app.post(
        "/documents/{number}/cancellation",
        status_code=202,
        openapi_extra=_body('`{}` (whole order) or `{"items": [...]}` (refused)'),
    )
    async def post_cancellation(number: str, request: Request) -> JSONResponse:
        body = await _json(request)
        answer = await run_in_threadpool(documents.request_cancellation, res, number, body)
        if answer.changed:
            start_run("cancel", number)
        return JSONResponse(answer.document, status_code=202)


async def _json(request: Request) -> object:
    """The body as the intake reads JSON (amounts as numbers refused); empty counts as {}."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return load_json(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise DocumentError("invalid_field", "the body is not UTF-8 text") from None
    except IntakeError as problem:
        raise DocumentError("invalid_field", str(problem)) from None


def _body(description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "description": description,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    }


async def _document_error(_request: Request, error: DocumentError) -> JSONResponse:
    return JSONResponse(error.as_json(), status_code=error.http_status)


async def _unauthorized(_request: Request, _error: Exception) -> JSONResponse:
    error = DocumentError("unauthorized", "a valid bearer token is required")
    return JSONResponse(error.as_json(), status_code=401, headers={"WWW-Authenticate": "Bearer"})


async def _invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
    faults = [
        (str(e["loc"][-1]) if e.get("loc") else "", str(e.get("msg", ""))) for e in error.errors()
    ]
    return await _document_error(_request, invalid(faults))


async def _internal(_request: Request, error: Exception) -> JSONResponse:
    log.error("request failed: %s", type(error).__name__)  # never the message: it may hold data
    problem = DocumentError("internal_error", "the request failed; see the API's log")
    return JSONResponse(problem.as_json(), status_code=500)
