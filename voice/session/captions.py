"""Captions: every line spoken is printed, with what was heard, so nothing depends on hearing alone.

`large` is for people with low vision. A terminal cannot portably enlarge some of its text (the
double-size line codes are ignored, or printed twice, by many terminals), so the letters are made
big by the terminal's own zoom, and the captions are made easy to read at that size:
- sentence case as written: capitals throughout are slower to read, as words lose their shape;
- bold, bright white on black, and the person's own words bright yellow on black: the strongest
  contrast a terminal has, and who said what is seen at a glance;
- at most 40 columns, fewer when the terminal is narrower (as after zooming in), so a zoomed
  caption is not rewrapped by the terminal; words and paths are never split;
- a blank line between lines and two between captions, the generous spacing low-vision reading
  guidance asks for (line spacing at least 1.5, paragraphs further apart).
What the person types is shown in the same style: the prompt carries it, so the line being typed
is bold yellow on black, and after Enter it comes back as a large "You:" caption.

Colour codes are used only on a terminal, so piped output and logs stay plain.
"""
from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from typing import IO

PLAIN_WIDTH = 88
LARGE_WIDTH = 40
_MIN_WIDTH = 12  # below this wrapping helps nobody; the terminal wraps instead
_ASSISTANT = "\033[1;97;40m"
_PERSON = "\033[1;93;40m"
_RESET = "\033[0m"
_CLEAR = "\033[H\033[2J\033[3J"  # home, clear the screen, and clear the scrollback too
FORGOTTEN = "The next person starts here: everything above is forgotten."


class Captions:
    """Caption lines on `stream`; `transcript` (the --log file's writer) is given each line as said."""

    def __init__(self, stream: IO[str], large: bool = False, transcript: Callable[[str], None] | None = None):
        self._stream = stream
        self._large = large
        self._terminal = stream.isatty()
        self._transcript = transcript

    def heard(self, text: str, typed: bool = False, continues: bool = False) -> None:
        """What the person said; a voice with no words made out in it is shown as such, and words
        heard as going on with what they said before begin with an ellipsis."""
        shown = text or ("(nothing typed)" if typed else "(words not made out)")
        self._line("You", f"... {shown}" if continues and text else shown, _PERSON)

    def said(self, sentences: tuple[str, ...] | list[str]) -> None:
        self._line("Assistant", " ".join(sentences), _ASSISTANT)

    def note(self, text: str) -> None:
        """Status the person should see but the assistant does not say (engine in use, errors)."""
        self._line("*", text, _ASSISTANT)

    def forget(self) -> None:
        """A kiosk's next person must not see the last one's words: clear the screen and its scrollback.

        Printed output cannot be taken back, so there a line marks where the next person starts.
        """
        if self._terminal:
            self._stream.write(_CLEAR)
            self._stream.flush()
        else:
            self._line("*", FORGOTTEN, _ASSISTANT)

    def prompt(self) -> str:
        """What to show before the person types; in large colour it also styles what they type."""
        return f"{_PERSON} > " if self._large and self._terminal else "> "

    def _line(self, who: str, text: str, style: str) -> None:
        body = textwrap.wrap(f"{who}: {text}", width=self._width(), subsequent_indent="  ",
                             break_long_words=False, break_on_hyphens=False)
        if not self._large:
            self._stream.write("\n".join(body) + "\n")
        elif self._terminal:
            width = max(len(line) for line in body)
            self._stream.write("\n\n".join(f"{style} {line.ljust(width)} {_RESET}" for line in body) + "\n\n\n")
        else:
            self._stream.write("\n\n".join(body) + "\n\n\n")
        self._stream.flush()
        if self._transcript:
            self._transcript(f"{who}: {text}")

    def _width(self) -> int:
        if not self._large:
            return PLAIN_WIDTH
        if not self._terminal:
            return LARGE_WIDTH
        columns = os.get_terminal_size(self._stream.fileno()).columns
        return max(_MIN_WIDTH, min(LARGE_WIDTH, columns - 2))
