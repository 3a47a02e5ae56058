"""The scoring service's default limits, importable without FastAPI or the explainers.

The command lines (``explain serve``, ``automl serve``) show them in their help, which must
answer at once; :mod:`explain.scoring._service` and :mod:`explain.scoring._server` apply them.
"""

__all__ = ["DEFAULT_BODY_TIMEOUT", "DEFAULT_HEADER_TIMEOUT", "DEFAULT_LIMIT_CONCURRENCY",
           "DEFAULT_MAX_BODY_BYTES", "DEFAULT_MAX_ROWS"]

DEFAULT_MAX_ROWS = 10_000
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
DEFAULT_BODY_TIMEOUT = 60.0
DEFAULT_HEADER_TIMEOUT = 10.0  # of the server (explain.scoring._server), kept here without uvicorn
DEFAULT_LIMIT_CONCURRENCY = 256
