"""The audit trail is append-only from the application: no code outside the migrations updates or
deletes an ``AuditEntry`` or the ``audit_log`` table (the only write is ``UnitOfWork.audit``)."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "kizuna"

# A statement that changes or removes rows of the trail, in any of the ways SQLAlchemy or SQL say it.
FORBIDDEN = [
    re.compile(r"(update|delete)\s*\(\s*(t\.|tables\.)?AuditEntry\b"),
    re.compile(r"query\(\s*(t\.|tables\.)?AuditEntry\b[^\n]*\.(update|delete)\("),
    re.compile(r"(UPDATE|DELETE\s+FROM|TRUNCATE(\s+TABLE)?)\s+\"?audit_log\b", re.IGNORECASE),
    re.compile(r"AuditEntry\.__table__\.(update|delete)\("),
    re.compile(r"\.delete\(\s*(entry|audit\w*)\s*\)"),
]


def _sources() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if "migrations" not in p.parts]


def test_nothing_in_the_application_changes_or_removes_audit_entries() -> None:
    found = [
        f"{path.relative_to(SRC)}: {match.group(0)}"
        for path in _sources()
        for pattern in FORBIDDEN
        for match in pattern.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not found, found


def test_the_only_place_that_builds_an_audit_entry_is_the_unit_of_work() -> None:
    builders = [
        str(path.relative_to(SRC))
        for path in _sources()
        if re.search(r"(?<!class )\bAuditEntry\s*\(", path.read_text(encoding="utf-8"))
    ]
    assert builders == ["storage/uow.py"]


def test_the_checks_catch_what_they_look_for() -> None:
    samples = [
        "s.execute(delete(t.AuditEntry).where(t.AuditEntry.id == 1))",
        "s.query(t.AuditEntry).filter(x).delete()",
        'conn.exec_driver_sql("DELETE FROM audit_log")',
        "s.execute(update(AuditEntry).values(action='x'))",
        "uow.session.delete(entry)",
    ]
    for sample in samples:
        assert any(p.search(sample) for p in FORBIDDEN), sample
