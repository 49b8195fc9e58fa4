"""Errors that reach a user as one line.

Every problem with an input (a file that is empty, binary, not an IMR letter, a scanned PDF, a malformed
record) is an :class:`InputError`. The CLI prints ``imrassist: <source>: <message>`` and exits 2; the
service turns it into a 4xx JSON body; a batch records it as the input's error entry and goes on. Keeping
the message free of letter text is the raiser's duty: messages describe the problem, never quote the file.
"""

from __future__ import annotations


class ImrassistError(Exception):
    """Base of every error imrassist raises on purpose."""


class InputError(ImrassistError):
    """An input that cannot be processed; ``source`` names it (a path, ``-`` or ``<text>``)."""

    #: Stable machine-readable reason, e.g. ``empty``, ``binary``, ``not_imr``, ``needs_ocr``.
    reason: str = "bad_input"

    def __init__(self, message: str, *, source: str | None = None, reason: str | None = None):
        super().__init__(message)
        self.message = message
        self.source = source
        if reason:
            self.reason = reason

    def one_line(self) -> str:
        text = " ".join(self.message.split())
        return f"{self.source}: {text}" if self.source else text

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.one_line()


class NotAnIMRLetter(InputError):
    reason = "not_imr"


class RecordError(InputError):
    """A CaseRecord JSON that does not parse or does not match the schema."""

    reason = "bad_record"
