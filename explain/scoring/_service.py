"""The scoring service: a FastAPI app over one scoring explainer (a thin adapter).

``POST /score`` takes rows as JSON records and returns predictions, probabilities and ranked
local importances; ``GET /health`` and ``GET /metadata`` describe the service. Bad requests
get a 4xx whose message names the field or column: malformed bodies and wrong fields (422,
from the pydantic models), rows that do not fit the model's input (422), an empty batch
(422), too many rows or too large a body (413), a body not received within ``body_timeout``
seconds (408). Rows for which the model returns NaN or infinity (a prediction, probability or
importance) get a 422 naming the rows: they are outside what the model can score, and a 200
never carries a non-finite number or a ``null`` in their place. Serve it with
``explain serve DIRECTORY`` / ``automl serve EXPERIMENT``, which also bound how long a client
may take to send its headers (:mod:`explain.scoring._server`), or ``uvicorn`` on the app
:func:`create_app` returns.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import numpy as np

from explain._exceptions import ExplanationError, ExplanationValueError
from explain._optional import require
from explain.scoring._explainers import Scored, ScoringExplainer
from explain.scoring._inputs import column_contract
from explain.scoring._limits import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_LIMIT_CONCURRENCY,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_ROWS,
)
from explain.scoring._persist import _versions

__all__ = ["DEFAULT_BODY_TIMEOUT", "DEFAULT_HEADER_TIMEOUT", "DEFAULT_LIMIT_CONCURRENCY",
           "DEFAULT_MAX_BODY_BYTES", "DEFAULT_MAX_ROWS", "NonFiniteOutputError", "ServedModelError",
           "create_app"]

CLOSE = [(b"connection", b"close")]


class NonFiniteOutputError(ExplanationValueError):
    """The model returned NaN or infinity for some of the request's rows (a 422)."""


class ServedModelError(ExplanationError, RuntimeError):
    """The served scoring explainer is broken whatever the request (a 500 with its message)."""


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
                                        f"limit of {self.limit} bytes.", close=True)
            return
        seen = 0

        async def counted() -> dict[str, Any]:
            nonlocal seen
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise HTTPException(413, f"body: over the limit of {self.limit} bytes.",
                                        headers={"connection": "close"})
            return message

        await self.app(scope, counted, send)


class _BodyDeadline:
    """ASGI middleware: a request body must arrive within ``timeout`` seconds, else 408.

    Without it a client sending its body a byte at a time holds the request open forever. The
    deadline runs from the first read of the body until its last part; reads after that (an
    app listening for the client to disconnect) are not timed. The 408 closes the connection.
    """

    def __init__(self, app: Any, timeout: float) -> None:
        self.app, self.timeout = app, timeout

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from starlette.exceptions import HTTPException

        loop = asyncio.get_running_loop()
        deadline: float | None = None
        complete = False

        async def timed() -> dict[str, Any]:
            nonlocal deadline, complete
            if complete:
                return dict(await receive())
            deadline = loop.time() + self.timeout if deadline is None else deadline
            try:
                message: dict[str, Any] = await asyncio.wait_for(receive(), max(deadline - loop.time(), 0))
            except asyncio.TimeoutError:
                raise HTTPException(408, f"body: not received within {self.timeout:g} s; send it at once "
                                         "or in smaller requests.",
                                    headers={"connection": "close"}) from None
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await self.app(scope, timed, send)


async def _send_json(send: Any, status: int, detail: str, close: bool = False) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *(CLOSE if close else [])]})
    await send({"type": "http.response.body", "body": body})


def create_app(scoring_explainer: ScoringExplainer, *, max_rows: int = DEFAULT_MAX_ROWS,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
               body_timeout: float = DEFAULT_BODY_TIMEOUT) -> Any:
    """A FastAPI app serving ``scoring_explainer``.

    Parameters
    ----------
    scoring_explainer : ScoringExplainer
        What to serve.
    max_rows : int, default=10000
        Most rows per request (more get 413).
    max_body_bytes : int, default=10 MiB
        Largest request body (larger get 413).
    body_timeout : float, default=60
        Most seconds a request's body may take to arrive (slower get 408).

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
    if (not isinstance(body_timeout, int | float) or isinstance(body_timeout, bool)
            or not math.isfinite(body_timeout) or body_timeout <= 0):
        raise ValueError(f"create_app: body_timeout must be a positive number of seconds, got "
                         f"{body_timeout!r}.")
    from explain.scoring._app import build_app

    return build_app(scoring_explainer, max_rows, max_body_bytes, float(body_timeout))


def _metadata(scoring: ScoringExplainer, max_rows: int, max_body_bytes: int) -> Any:
    from explain.scoring import _schema as schema

    columns = [schema.ColumnInfo(**info) for info in column_contract(
        scoring.compiled_, scoring.input_schema_, model_takes_nan=scoring.takes_missing,
        featurized=scoring._featurization() is not None)]
    return schema.Metadata(
        model=type(scoring.model_).__name__, model_task=scoring.model_task_,
        explainer=type(scoring).__name__, method=scoring.method,
        classes=None if scoring.classes_ is None else [_plain(c) for c in scoring.classes_],
        input_columns=columns, features=list(scoring.features_),
        raw_features=None if scoring.raw_features_ is None else list(scoring.raw_features_),
        allows_missing_values=all(_takes_missing(c.missing, scoring.unknown_categories)
                                  for c in columns if c.required),
        unknown_categories=scoring.unknown_categories,  # type: ignore[arg-type]  # checked at construction
        compiled_featurization=scoring.compiled_ is not None,
        fidelity=scoring.fidelity_line, versions=_versions(),
        limits=schema.Limits(max_rows=max_rows, max_body_bytes=max_body_bytes))


def _takes_missing(missing: str, unknown_categories: str) -> bool:
    """Whether a column whose contract says ``missing`` takes a missing value under the policy
    (a missing value encoded as an unknown category is taken when unknown ones are)."""
    return missing == "accepted" or (missing == "unknown_category" and unknown_categories == "accept")


def _check_finite(scored: Scored) -> None:
    """Refuse non-finite model outputs: per row (the request's rows caused them) or not."""
    if scored.expected is not None and not np.all(np.isfinite(scored.expected)):
        raise ServedModelError("the served model's expected values are not finite, whatever the rows; "
                               "refit or re-save its scoring explainer.")
    outputs = {"prediction": _bad_rows(scored.predictions), "probability": _bad_rows(scored.probabilities),
               "importance": _bad_rows(None if scored.values is None else np.moveaxis(scored.values, 1, 0))}
    rows = sorted(set().union(*outputs.values()))
    if rows:
        what = " and ".join(f"{name} values" for name, bad in outputs.items() if bad)
        shown = ", ".join(f"data[{i}]" for i in rows[:5])
        raise NonFiniteOutputError(
            f"{shown}{' and more' if len(rows) > 5 else ''}: the model returned NaN or infinite {what} for "
            f"{'this row' if len(rows) == 1 else f'{len(rows)} rows'}; they are outside what it can score "
            "(e.g. values far beyond its training data).")


def _bad_rows(array: np.ndarray | None) -> set[int]:
    """Rows (first axis) of ``array`` holding a NaN or infinity (numbers in object arrays too)."""
    if array is None:
        return set()
    if array.dtype.kind in "fc":
        return set(np.flatnonzero(~np.isfinite(array.reshape(len(array), -1)).all(axis=1)).tolist())
    if array.dtype.kind == "O":
        return {i for i, value in enumerate(array)
                if isinstance(value, float | np.floating) and not math.isfinite(value)}
    return set()


def _response(scoring: ScoringExplainer, scored: Scored, explain: bool,
              top_k: int | None) -> Any:
    """The response body, after checking that every number in it is finite."""
    from explain.scoring import _schema as schema

    _check_finite(scored)
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
    unknown = [schema.UnknownCategory(row=row, column=column, value=None if value is None else str(value))
               for row, column, value in scored.unknown] or None
    return schema.ScoreResponse(
        predictions=predictions, probabilities=probabilities, explanations=explanations,
        feature_space=None if not explain else ("raw" if scored.raw else "engineered"),
        output_space=scoring.output_space_ if explain else None,
        fidelity=scoring.fidelity_line if explain else None, unknown_categories=unknown)


def _plain(value: Any) -> Any:
    """NumPy scalars as JSON-ready Python values."""
    return value.item() if isinstance(value, np.generic) else value
