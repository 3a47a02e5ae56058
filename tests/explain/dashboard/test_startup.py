"""The dashboard says where it serves, and keeps werkzeug's line per request to itself unless asked."""

from __future__ import annotations

import logging
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.explain.test_explanation import make_classification_explanation

pytest.importorskip("dash")

from explain.dashboard import ExplanationDashboard


def _get(url: str) -> None:
    with urllib.request.urlopen(url + "_dash-layout", timeout=10) as response:
        assert response.status == 200


@pytest.mark.parametrize("log_requests", [False, True])
def test_start_prints_the_url_and_logs_requests_only_when_asked(
        log_requests: bool, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
        request: pytest.FixtureRequest) -> None:
    dashboard = ExplanationDashboard(make_classification_explanation(), log_requests=log_requests)
    request.addfinalizer(dashboard.stop)
    assert dashboard.url is not None
    assert capsys.readouterr().out == f"Explanation dashboard at {dashboard.url}\n"
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        _get(dashboard.url)
        dashboard.stop()  # the request's line, if any, is logged before the server stops
    lines = [r.getMessage() for r in caplog.records
             if r.name == "werkzeug" and "_dash-layout" in r.getMessage()]
    assert len(lines) == (1 if log_requests else 0)
    assert "Explanation dashboard at" not in capsys.readouterr().out  # printed once, at start


@pytest.mark.parametrize(("flag", "expected"), [([], False), (["--log-requests"], True)])
def test_the_command_line_asks_for_request_lines_with_a_flag(flag: list[str], expected: bool, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import explain.dashboard
    from explain import save_explanation
    from explain._cli import main

    path = save_explanation(make_classification_explanation(), tmp_path / "e.npz")
    built: list[dict[str, Any]] = []

    class Recording:  # the dashboard, without serving forever
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            built.append(kwargs)

        def serve_forever(self) -> None:
            pass

    monkeypatch.setattr(explain.dashboard, "ExplanationDashboard", Recording)
    assert main(["dashboard", str(path), "--port", "0", *flag]) == 0
    assert built[0]["log_requests"] is expected
