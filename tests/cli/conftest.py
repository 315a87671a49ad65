"""The ``kizuna`` command run in-process with Typer's CliRunner against a temporary data directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kizuna.cli.main import app as cli


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    data = tmp_path / "data"
    return {
        "KIZUNA_DATA_DIR": str(data),
        "KIZUNA_DATABASE_URL": f"sqlite:///{data / 'kizuna.db'}",
        "KIZUNA_ENVIRONMENT": "test",
        "KIZUNA_REDIS_URL": "",
        "KIZUNA_CONFIG": "",
    }


@pytest.fixture
def run(env: dict[str, str]) -> Any:
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke
