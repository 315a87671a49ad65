"""What goes wrong when folders are imported (challenge folders, learning-track folders): each problem
names the file and the field, and the import as a whole is refused with all of them, nothing changed."""

from __future__ import annotations

from dataclasses import dataclass

from kizuna.domain.errors import DomainError


@dataclass(frozen=True)
class Problem:
    """What is wrong (or, as a warning, worth knowing) in one file: the file, the field
    (``flags[1].data``, ``modules[1].lessons[0].tasks[2].answer``…) and either a sentence, worded from
    the catalogs in the locale current when the problem is found (the CLI sets the terminal's language
    first), or a domain error for the caller to word in its language."""

    path: str
    field: str
    message: str = ""
    error: DomainError | None = None


class FolderError(Exception):
    """The folders cannot be imported; nothing was changed."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            "; ".join(
                f"{p.path}: {p.field}: {p.message or (p.error.code if p.error else '')}" for p in problems
            )
        )
        self.problems = problems
