"""Requests to Dash's callback endpoint, checked before Dash dispatches them.

``_inputs`` checks the values a callback receives; this module checks the envelope around
them. Dash reads ``POST /_dash-update-component`` bodies on trust: a body that is not a JSON
object, names no registered callback, or sends fewer inputs than the callback declares ends
in an exception inside Dash, an HTTP 500. Here such a request gets a 400 whose JSON names
what is wrong, and bodies larger than ``MAX_REQUEST_BYTES`` get a 413 before they are read.
"""

from __future__ import annotations

from typing import Any

from explain.dashboard._inputs import shown

__all__ = ["MAX_REQUEST_BYTES", "check_callback_requests", "envelope_problem"]

MAX_REQUEST_BYTES = 8 << 20  # the largest honest body (500 what-if rows, 20 cohorts) is far below


def _declared_outputs(key: str) -> list[tuple[str, str]]:
    """``(id, property)`` of each output of the callback stored under ``key`` in ``callback_map``."""
    names = key[2:-2].split("...") if key.startswith("..") else [key]
    return [(name.rsplit(".", 1)[0], name.rsplit(".", 1)[-1]) for name in names]


def _matches(sent: Any, declared: list[tuple[str, str]]) -> bool:
    return isinstance(sent, list) and len(sent) == len(declared) and all(
        isinstance(item, dict) and (item.get("id"), item.get("property")) == pair
        for item, pair in zip(sent, declared, strict=True))


def envelope_problem(body: Any, callback_map: dict[str, Any]) -> str | None:
    """What is wrong with a callback request ``body`` (parsed JSON), or ``None`` when Dash can
    dispatch it: the callback exists and the outputs, inputs and state are the declared ones."""
    if not isinstance(body, dict):
        return f"expected a JSON object, got {type(body).__name__}."
    output = body.get("output")
    spec = callback_map.get(output) if isinstance(output, str) else None
    if spec is None:
        return f"no callback has the output {shown(output)}."
    outputs = _declared_outputs(output)  # type: ignore[arg-type]
    sent = body.get("outputs")
    if not _matches(sent if isinstance(sent, list) or len(outputs) > 1 else [sent], outputs):
        return f"the outputs of {output!r} are {outputs}, got {shown(sent)}."
    for part in ("inputs", "state"):
        declared = [(item["id"], item["property"]) for item in spec[part]]
        if not _matches(body.get(part, []), declared):
            return f"the {part} of {output!r} are {declared}, got {shown(body.get(part))}."
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return f"changedPropIds must be a list of 'id.property' strings, got {shown(changed)}."
    return None


def check_callback_requests(app: Any) -> None:
    """Refuse malformed callback requests to ``app`` (a ``dash.Dash``) with a 400 (413 when too large)."""
    from flask import jsonify, request

    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    path = app.config.routes_pathname_prefix + "_dash-update-component"

    @server.before_request
    def check() -> Any:
        if request.method != "POST" or request.path != path:
            return None
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # json raises it, not ValueError, for very deep nesting
            return jsonify({"message": "callback request: the body nests JSON too deeply."}), 400
        problem = envelope_problem(body, app.callback_map) if body is not None else (
            "the body is not JSON; send application/json.")
        return None if problem is None else (jsonify({"message": f"callback request: {problem}"}), 400)
