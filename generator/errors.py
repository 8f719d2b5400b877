"""The one error type: a diagnostic pinned to a place in a spec file.

Every problem the generator reports, from a YAML syntax error to a missing
clang-format, is a Diag. A Diag with no file is about the command itself
and prints as `vanity: error: ...`.
"""

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Diag:
    file: str
    line: int
    col: int
    message: str
    severity: str = "error"

    def __str__(self):
        if not self.file:
            return f"vanity: {self.severity}: {self.message}"
        return f"{self.file}:{self.line}:{self.col}: {self.severity}: {self.message}"


class SpecError(Exception):
    """Raised with every error found; the CLI prints them and exits 1."""

    def __init__(self, diags):
        super().__init__("\n".join(map(str, diags)))
        self.diags = sorted(diags)


def fail(message):
    """An error about the command rather than a place in a file."""
    return SpecError([Diag("", 0, 0, message)])


class Diags:
    """Collects diagnostics so that all of them are reported, not the first."""

    def __init__(self):
        self.items = []

    def error(self, where, message):
        self.items.append(Diag(where.file, where.line, where.col, message))

    def warning(self, where, message):
        self.items.append(Diag(where.file, where.line, where.col, message, "warning"))

    @property
    def errors(self):
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self):
        return [d for d in self.items if d.severity == "warning"]

    def check(self):
        """Raises SpecError if any error was collected."""
        if self.errors:
            raise SpecError(self.items)
