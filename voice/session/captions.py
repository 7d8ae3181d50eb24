"""Captions: every line spoken is printed, with what was heard, so nothing depends on hearing alone.

`large` prints high-contrast, widely spaced text for people with low vision; colour codes are
used only on a terminal, so piped output and logs stay plain.
"""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import IO

_LARGE = "\033[1;97;40m"
_RESET = "\033[0m"


class Captions:
    def __init__(self, stream: IO[str], large: bool = False, log_file: Path | None = None):
        self._stream = stream
        self._large = large
        self._colour = large and stream.isatty()
        self._log = log_file

    def heard(self, text: str) -> None:
        self._line("You", text or "(nothing heard)")

    def said(self, sentences: tuple[str, ...] | list[str]) -> None:
        self._line("Assistant", " ".join(sentences))

    def note(self, text: str) -> None:
        """Status the person should see but the assistant does not say (engine in use, errors)."""
        self._line("*", text)

    def forget(self) -> None:
        """A kiosk's next person must not see the last one's words: clear the screen."""
        if self._stream.isatty():
            self._stream.write("\033[2J\033[H")
            self._stream.flush()

    def prompt(self) -> None:
        self._stream.write("> ")
        self._stream.flush()

    def _line(self, who: str, text: str) -> None:
        width = 40 if self._large else 88
        body = textwrap.fill(f"{who}: {text}", width=width, subsequent_indent="  ")
        if self._large:
            body = body.upper() + "\n"
        if self._colour:
            body = "\n".join(f"{_LARGE} {line} {_RESET}" for line in body.splitlines())
        self._stream.write(body + "\n")
        self._stream.flush()
        if self._log:
            with self._log.open("a", encoding="utf-8") as log:
                log.write(f"{who}: {text}\n")
