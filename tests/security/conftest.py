"""Fixtures of other test packages that the security tests use too."""

from tests.cli.conftest import env, run  # noqa: F401 - the ``kizuna`` command in-process
from tests.e2e.conftest import browser  # noqa: F401 - Debian's chromium through Playwright, never a download
