"""Shared by the scoring-service tests: a mixed-type table, its pipeline, a live uvicorn server."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

REGIONS = ("north", "south", "east", "west")


def make_frame(n_rows: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Mixed-type rows (integer, float, string, bool), a binary label and a regression target."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "age": rng.integers(18, 80, n_rows),
        "income": rng.normal(50, 15, n_rows).round(2),
        "region": rng.choice(REGIONS, n_rows),
        "member": rng.random(n_rows) < 0.4,
    })
    label = (((X["age"] > 45) ^ (X["region"] == "south")) | (X["income"] > 65)).astype(int).to_numpy()
    target = (0.05 * X["age"] + 0.1 * X["income"] + 2.0 * (X["region"] == "east") + X["member"]
              + rng.normal(0, 0.3, n_rows)).to_numpy()
    return X, label, target


def make_pipeline_of(estimator: Any) -> Pipeline:
    prep = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["region"]),
                              ("num", StandardScaler(), ["age", "income", "member"])])
    return Pipeline([("prep", prep), ("model", estimator)])


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready records (plain Python scalars)."""
    return [{key: value.item() if isinstance(value, np.generic) else value for key, value in row.items()}
            for row in frame.to_dict("records")]


def forbid_fitting(monkeypatch: Any) -> list[str]:
    """Make every fit fail: LightGBM's training, the ``fit`` / ``fit_transform`` / ``partial_fit``
    of every scikit-learn-style estimator class loaded, and ``MimicExplainer``'s set-up (which
    trains its surrogate). Returns the names of what was called (the patched methods raise)."""
    import lightgbm
    from sklearn.base import BaseEstimator

    from explain import MimicExplainer

    called: list[str] = []

    def refusing(name: str) -> Any:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            called.append(name)
            raise AssertionError(f"{name} was called: something was trained")
        return refuse

    monkeypatch.setattr(lightgbm, "train", refusing("lightgbm.train"))
    monkeypatch.setattr(lightgbm.sklearn, "train", refusing("lightgbm.sklearn.train"))
    monkeypatch.setattr(MimicExplainer, "__init__", refusing("MimicExplainer.__init__"))
    seen, stack = set(), [BaseEstimator]
    while stack:
        cls = stack.pop()
        stack.extend(c for c in cls.__subclasses__() if c not in seen)
        seen.add(cls)
        for method in ("fit", "fit_transform", "partial_fit"):
            if method in cls.__dict__:
                monkeypatch.setattr(cls, method, refusing(f"{cls.__name__}.{method}"))
    return called


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_health(url: str, timeout: float = 60.0, process: subprocess.Popen[Any] | None = None,
                    output: Path | None = None) -> None:
    """Poll ``url/health`` until it answers 200 (or the process serving it exits)."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            shown = output.read_text(errors="replace")[-2000:] if output is not None else ""
            raise AssertionError(f"the service exited with {process.returncode} before serving:\n{shown}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url}/health did not answer within {timeout} s")


def start_live_server(app: Any, **limits: Any) -> tuple[str, Any, threading.Thread]:
    """Serve ``app`` with uvicorn in a background thread, configured as ``explain serve`` does
    (``limits``: ``header_timeout``, ``limit_concurrency``); return its URL, server and thread."""
    port = free_port()
    import uvicorn

    from explain.scoring._server import server_config

    server = uvicorn.Server(server_config(app, host="127.0.0.1", port=port, **limits))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    wait_for_health(url)
    return url, server, thread


def stop_live_server(server: Any, thread: threading.Thread) -> None:
    server.should_exit = True
    thread.join(timeout=15)


class LogRegressor(RegressorMixin, BaseEstimator):
    """``log(a) + b`` over two number columns: NaN for ``a < 0``, -inf at ``a == 0``."""

    def fit(self, X: Any, y: Any) -> LogRegressor:
        self.n_features_in_ = 2
        self.feature_names_in_ = np.array(["a", "b"], dtype=object)
        return self

    def predict(self, X: Any) -> np.ndarray:
        values = np.asarray(X, dtype=float)
        with np.errstate(all="ignore"):
            return np.log(values[:, 0]) + values[:, 1]


class LogClassifier(ClassifierMixin, LogRegressor):
    """Class 1 with probability ``sigmoid(log(a) + b)``: NaN probabilities for ``a < 0``."""

    def fit(self, X: Any, y: Any) -> LogClassifier:
        super().fit(X, y)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        with np.errstate(all="ignore"):
            p = 1 / (1 + np.exp(-LogRegressor.predict(self, X)))
        return np.column_stack([1 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] > 0.5).astype(int)


def log_frame(n_rows: int = 100, seed: int = 1) -> pd.DataFrame:
    """Rows where the log models are finite (``a`` in [1, 5])."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.uniform(1, 5, n_rows), "b": rng.normal(size=n_rows)})
