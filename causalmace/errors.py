"""Errors a user can fix: the CLI turns them into a message and exit code 2, never a traceback."""

from __future__ import annotations


class UserError(Exception):
    """Bad input: names the file, the key and what was expected."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None,
                 expected: str | None = None) -> None:
        self.file, self.key, self.expected = file, key, expected
        parts = [p for p in (file, f"key {key!r}" if key else None) if p]
        head = ": ".join(parts)
        text = f"{head}: {message}" if head else message
        if expected:
            text += f" (expected {expected})"
        super().__init__(text)
