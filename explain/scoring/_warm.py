"""Building what a scoring explainer builds on first use before the first request.

The compiled TreeSHAP's per-leaf tables (:mod:`explain.explainers._fast_tree_shap`) are not
pickled -- they are tens of megabytes for a few hundred trees and take well under a second to
build -- so a loaded explainer builds them once, under a lock, on first use. The service
starts building them in a background thread when it starts (``wait=False``; the compiled
parts release the GIL): it answers ``/health`` and requests that need no tables at once, and a
request that needs them meanwhile waits for the one build.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from explain.explainers import MimicExplainer, TreeExplainer
from explain.explainers._blend import BlendExplainer

__all__ = ["table_builders", "warm_up"]

logger = logging.getLogger("explain")


def table_builders(explainer: Any) -> list[Callable[[], Any]]:
    """The calls that build ``explainer``'s lazily built TreeSHAP tables (those of a tree
    explainer, of a mimic's tree surrogate, of a blend's members)."""
    if isinstance(explainer, TreeExplainer):
        return [explainer.tables] if explainer.compiled_ is not None else []
    if isinstance(explainer, MimicExplainer):
        compiled = getattr(explainer.surrogate_, "compiled_", None)
        return [compiled.tables] if compiled is not None else []
    if isinstance(explainer, BlendExplainer):
        return [build for member in explainer.members_ for _, inner in member.explainers
                for build in table_builders(inner)]
    return []


def warm_up(explainer: Any, *, wait: bool = True) -> threading.Thread | None:
    """Build ``explainer``'s lazily built parts now, or in a background thread (returned).

    A failure in the background is logged; the first request that needs the part builds it
    again and reports the error to its caller.
    """
    builders = table_builders(explainer)
    if not builders:
        return None
    if wait:
        for build in builders:
            build()
        return None
    thread = threading.Thread(target=_build_quietly, args=(builders,), name="scoring-warm-up", daemon=True)
    thread.start()
    return thread


def _build_quietly(builders: list[Callable[[], Any]]) -> None:
    for build in builders:
        try:
            build()
        except Exception as exc:  # reported again, to the caller, by the request that needs it
            logger.warning("scoring: building the TreeSHAP tables failed (%s); the first request "
                           "that needs them will retry", exc)
