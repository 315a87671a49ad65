"""An integrity signal's dismissal reaches only those who read the signals (judges, admins) on the
live stream: not marshals or authors, who see other staff news, nor players."""

from __future__ import annotations

from tests.unit.test_live_rules import event, receivers


def test_a_dismissal_reaches_only_judges_and_admins() -> None:
    dismissed = event("integrity_dismissed", "staff", signal_id=4, kind="shared_guess")
    assert receivers(dismissed) == {"admin", "judge"}
    # Stored with a wider audience by mistake, it still goes to them alone.
    assert receivers(event("integrity_dismissed", "public", signal_id=4, kind="shared_guess")) == {
        "admin",
        "judge",
    }
