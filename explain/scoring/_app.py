"""The scoring service's routes (FastAPI).

No ``from __future__ import annotations`` here: FastAPI reads the route signatures' types at
run time to build the request models and the OpenAPI schema.
"""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from explain._exceptions import ExplanationError
from explain.scoring._explainers import ScoringExplainer
from explain.scoring._schema import Health, Metadata, ScoreRequest, ScoreResponse
from explain.scoring._service import ServedModelError, _BodyDeadline, _BodyLimit, _metadata, _response

__all__ = ["build_app"]


class StrictJSONResponse(JSONResponse):
    """JSON that refuses NaN and infinity (never ``NaN`` tokens in a body) and writes the lone
    surrogates of client strings (``"\\ud800"`` escapes) as backslash text, which UTF-8 can hold."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:  # rare: only then walk the content
            return json.dumps(_printable(content), ensure_ascii=False, allow_nan=False,
                              separators=(",", ":")).encode("utf-8")


def build_app(scoring: ScoringExplainer, max_rows: int, max_body_bytes: int, body_timeout: float) -> FastAPI:
    """The app of :func:`explain.scoring.create_app` (arguments already checked)."""
    metadata = _metadata(scoring, max_rows, max_body_bytes)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # what the explainer builds on first use (TreeSHAP tables) is built in the background
        # from the server's start, so /health answers at once (see explain.scoring._warm)
        scoring.warm_up(wait=False)
        yield

    app = FastAPI(title="automl-explain scoring service",
                  version=metadata.versions.get("automl-explain") or "0",
                  description="Predictions of one model with their explanations.",
                  default_response_class=StrictJSONResponse, lifespan=lifespan)
    app.add_middleware(_BodyLimit, limit=max_body_bytes)
    app.add_middleware(_BodyDeadline, timeout=body_timeout)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Any, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}"
                        for p in first.get("loc", ()) if p != "body").lstrip(".") or "body"
        if first.get("type") == "json_invalid":
            where = "body"
        return StrictJSONResponse(status_code=422, content={
            "detail": f"{where}: {first.get('msg', 'invalid request')}",
            # without the offending "input": it may be a whole oversized body, or NaN, which JSON
            # responses cannot carry
            "errors": json.loads(json.dumps([{k: v for k, v in e.items() if k != "input"} for e in errors],
                                            default=str))})

    @app.exception_handler(StarletteHTTPException)
    async def refused(request: Request, exc: StarletteHTTPException) -> Response:
        cause = exc.__cause__
        if exc.status_code == 400 and isinstance(cause, ValueError):
            # FastAPI's "There was an error parsing the body": bytes that are not UTF-8, or an
            # integer of more digits than Python converts
            problem = (f"not UTF-8 encoded JSON ({cause.reason} at byte {cause.start})"
                       if isinstance(cause, UnicodeDecodeError) else f"not JSON this service reads ({cause})")
            return StrictJSONResponse(status_code=422, content={"detail": f"body: {problem[:300]}."})
        return await http_exception_handler(request, exc)

    @app.get("/health", response_model=Health)
    def health() -> Health:
        return Health()

    @app.get("/metadata", response_model=Metadata)
    def get_metadata() -> Metadata:
        return metadata

    @app.post("/score", response_model=ScoreResponse, responses={
        413: {"description": "Too many rows or too large a body"},
        422: {"description": "Rows or fields that do not fit the model (the message names them)"}})
    def score(request: ScoreRequest) -> ScoreResponse:
        if len(request.data) > max_rows:
            raise HTTPException(413, f"data: {len(request.data)} rows is over the limit of {max_rows}.")
        try:
            scored = scoring.score_records(request.data, explain=request.explain, get_raw=request.raw)
            return _response(scoring, scored, request.explain, request.top_k)
        except ServedModelError as exc:  # broken whatever the rows: not the client's error
            raise HTTPException(500, str(exc)) from exc
        except ExplanationError as exc:  # the rows do not fit the model, or it cannot score them
            raise HTTPException(422, str(exc)) from exc

    return app


def _printable(value: Any) -> Any:
    """``value`` with lone surrogates in its strings (from ``\\ud800`` escapes in a request)
    written as backslash escapes, so that it encodes as UTF-8."""
    if isinstance(value, str):
        return value if value.isascii() else value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list | tuple):
        return [_printable(item) for item in value]
    if isinstance(value, dict):
        return {_printable(key): _printable(item) for key, item in value.items()}
    return value
