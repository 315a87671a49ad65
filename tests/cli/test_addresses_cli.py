"""``kizuna addresses forget --older-than DAYS``: the retention of the addresses kept for staff."""

from __future__ import annotations

from typing import Any


def test_forget_runs_and_refuses_a_negative_age(run: Any) -> None:
    done = run("addresses", "forget", "--older-than", "30")
    assert done.exit_code == 0, done.output
    assert "0 addresses forgotten." in done.output
    assert run("addresses", "forget", "--older-than", "-1").exit_code == 2
