"""The scoring service: a FastAPI app over one scoring explainer (a thin adapter).

``POST /score`` takes rows as JSON records and returns predictions, probabilities and ranked
local importances; ``GET /health`` and ``GET /metadata`` describe the service. Bad requests
get a 4xx whose message names the field or column: malformed bodies and wrong fields (422,
from the pydantic models), rows that do not fit the model's input (422), an empty batch
(422), too many rows or too large a body (413). Serve it with ``explain serve DIRECTORY`` /
``automl serve EXPERIMENT``, or ``uvicorn`` on the app :func:`create_app` returns.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from explain._optional import require
from explain.scoring._explainers import Scored, ScoringExplainer
from explain.scoring._persist import _versions

__all__ = ["DEFAULT_MAX_BODY_BYTES", "DEFAULT_MAX_ROWS", "create_app"]

DEFAULT_MAX_ROWS = 10_000
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024


class _BodyLimit:
    """ASGI middleware: refuse bodies over ``limit`` bytes with 413, before they are read whole.

    Checks ``Content-Length`` first and counts the bytes of chunked bodies as they arrive
    (raising Starlette's ``HTTPException(413)``, which FastAPI passes through as a response).
    """

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from starlette.exceptions import HTTPException

        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await _send_json(send, 413, f"body: {length.decode(errors='replace')[:20]} bytes is over the "
                                        f"limit of {self.limit} bytes.")
            return
        seen = 0

        async def counted() -> dict[str, Any]:
            nonlocal seen
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise HTTPException(413, f"body: over the limit of {self.limit} bytes.")
            return message

        await self.app(scope, counted, send)


async def _send_json(send: Any, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def create_app(scoring_explainer: ScoringExplainer, *, max_rows: int = DEFAULT_MAX_ROWS,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> Any:
    """A FastAPI app serving ``scoring_explainer``.

    Parameters
    ----------
    scoring_explainer : ScoringExplainer
        What to serve.
    max_rows : int, default=10000
        Most rows per request (more get 413).
    max_body_bytes : int, default=10 MiB
        Largest request body (larger get 413).

    Returns
    -------
    fastapi.FastAPI
    """
    require("fastapi", "serve", "the scoring service")
    if not isinstance(scoring_explainer, ScoringExplainer):
        raise TypeError(f"create_app: expected a ScoringExplainer, got {type(scoring_explainer).__name__}.")
    for name, value in (("max_rows", max_rows), ("max_body_bytes", max_body_bytes)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"create_app: {name} must be a positive integer, got {value!r}.")
    from explain.scoring._app import build_app

    return build_app(scoring_explainer, max_rows, max_body_bytes)


def _metadata(scoring: ScoringExplainer, allow_missing: bool, max_rows: int,
              max_body_bytes: int) -> Any:
    from explain.scoring import _schema as schema

    return schema.Metadata(
        model=type(scoring.model_).__name__, model_task=scoring.model_task_,
        explainer=type(scoring).__name__, method=scoring.method,
        classes=None if scoring.classes_ is None else [_plain(c) for c in scoring.classes_],
        input_columns=[schema.ColumnInfo(name=c, kind=k)  # type: ignore[arg-type]
                       for c, k in scoring.input_schema_.items()],
        features=list(scoring.features_),
        raw_features=None if scoring.raw_features_ is None else list(scoring.raw_features_),
        allows_missing_values=allow_missing, versions=_versions(),
        limits=schema.Limits(max_rows=max_rows, max_body_bytes=max_body_bytes))


def _response(scoring: ScoringExplainer, scored: Scored, explain: bool,
              top_k: int | None) -> Any:
    from explain.scoring import _schema as schema

    predictions = [_plain(p) for p in scored.predictions]
    probabilities = None
    labels = [str(c) for c in (scoring.classes_ or range(
        0 if scored.probabilities is None else scored.probabilities.shape[1]))]
    if scored.probabilities is not None:
        probabilities = [dict(zip(labels, map(float, row), strict=True)) for row in scored.probabilities]
    explanations = None
    if explain and scored.values is not None and scored.expected is not None:
        names = scoring.output_features(scored.raw)
        explanations = []
        for i in range(scored.values.shape[1]):
            k = 0 if scored.values.shape[0] == 1 else (
                int(np.argmax(scored.probabilities[i])) if scored.probabilities is not None
                else labels.index(str(predictions[i])) if str(predictions[i]) in labels else 0)
            row = scored.values[k, i]
            order = np.argsort(-np.abs(row), kind="stable")[:top_k]
            explanations.append(schema.RowExplanation(
                output=labels[k] if scored.values.shape[0] > 1 else "prediction",
                expected_value=float(scored.expected[k]),
                importances=[schema.Importance(feature=names[j], value=float(row[j])) for j in order]))
    return schema.ScoreResponse(
        predictions=predictions, probabilities=probabilities, explanations=explanations,
        feature_space=None if not explain else ("raw" if scored.raw else "engineered"),
        output_space=scoring.output_space_ if explain else None)


def _plain(value: Any) -> Any:
    """NumPy scalars as JSON-ready Python values."""
    return value.item() if isinstance(value, np.generic) else value
