"""Schemathesis against ``/openapi.json``: every ``/api/v1`` operation, fuzzed with examples that fit
the schema and examples that do not, as an admin (so authenticated routes are exercised), in-process
(the ASGI app, no network). No answer may be a server error, and each answer's status code, content
type and JSON body must be the ones the document declares. Runs on SQLite and PostgreSQL.

Bounded: ``EXAMPLES`` examples per operation and mode, derandomised (the same requests every run), no
example database, no shrinking.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = int(os.environ.get("KIZUNA_FUZZ_EXAMPLES", "8"))
# A generated DELETE of the admin's own account would end the run's authentication early.
SPARED_USER = "/api/v1/users/{user_id}"


def _fuzz(app: Any, token: str, spare_user_id: int) -> tuple[int, list[str], list[str]]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Token {token}", "Accept-Language": "ja"}
    sent = 0
    server_errors: list[str] = []
    nonconforming: list[str] = []
    per_operation: Counter[str] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate],
            )
            @given(strategy)
            def run(case: Any) -> None:  # called at once, inside this iteration of the loop
                nonlocal sent
                if (
                    case.method == "DELETE"
                    and operation.path == SPARED_USER  # noqa: B023
                    and str(case.path_parameters.get("user_id")) == str(spare_user_id)
                ):
                    return
                sent += 1
                per_operation[operation.label] += 1  # noqa: B023
                response = case.call(headers=headers)
                where = f"{case.method} {case.formatted_path} -> {response.status_code}"
                if response.status_code >= 500:
                    server_errors.append(f"{where}: {response.text[:200]}")
                    return
                try:
                    case.validate_response(
                        response,
                        checks=[
                            status_code_conformance,
                            content_type_conformance,
                            response_schema_conformance,
                        ],
                    )
                except (AssertionError, FailureGroup) as exc:
                    nonconforming.append(f"{where}: {' | '.join(str(exc).splitlines()[:8])[:400]}")

            try:
                run()
            except Unsatisfiable:
                pass  # nothing to make invalid (an operation without parameters or body)
    assert len(per_operation) > 60, f"only {len(per_operation)} operations were fuzzed"
    return sent, server_errors, nonconforming


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_fuzzed_api_answers_no_server_error(backend: str, app: Any, make: Any) -> None:
    admin = make.admin()
    challenge = make.challenge()
    make.player_in_team()
    token = make.token(admin)
    assert challenge.id
    sent, server_errors, nonconforming = _fuzz(app, token, admin.id)
    print(f"\nschemathesis on {backend}: {sent} requests, {len(server_errors)} server errors")
    assert sent > 500
    assert not server_errors, "\n".join(server_errors[:20])
    assert not nonconforming, f"{len(nonconforming)} answers differ from /openapi.json:\n" + "\n".join(
        sorted(set(nonconforming))[:30]
    )
