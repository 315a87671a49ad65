"""Every setting is documented: a doc string on the field, and a mention in README.md."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from kizuna.settings import PREFIX, Settings, documented_settings

ROOT = Path(__file__).resolve().parents[2]
FIELDS = [f.name for f in dataclasses.fields(Settings)]


@pytest.mark.parametrize("name", FIELDS)
def test_every_setting_has_a_doc(name: str) -> None:
    doc = documented_settings()[f"{PREFIX}{name.upper()}"]
    assert len(doc.strip()) >= 10, f"Settings.{name} needs a metadata doc saying what it does"


@pytest.mark.parametrize("name", FIELDS)
def test_every_setting_is_in_the_readme(name: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    variable = f"{PREFIX}{name.upper()}"
    assert re.search(rf"\b{variable}\b", readme), f"README.md does not mention {variable}"


def test_the_config_file_variable_is_in_the_readme() -> None:
    assert "KIZUNA_CONFIG" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_mentions_no_setting_that_does_not_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    known = set(documented_settings()) | {"KIZUNA_CONFIG"}
    # Variables for the test suite and tools are not settings of the server.
    tooling = {"KIZUNA_TEST_POSTGRES_URL", "KIZUNA_TEST_REDIS_URL", "KIZUNA_CTFCLI", "KIZUNA_SCREENSHOTS"}
    mentioned = set(re.findall(r"\bKIZUNA_[A-Z0-9_]+\b", readme)) - tooling
    assert mentioned <= known, f"README.md documents unknown settings: {sorted(mentioned - known)}"
