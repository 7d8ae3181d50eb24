"""Typed lines from the keyboard, each one utterance: edited on a terminal, plain from a pipe.

Both wait for a line without blocking the loop: every `POLL_SECONDS` they tell the loop how long
the person has been idle, so a kiosk notices that the person left even when nobody types.

On a terminal the line is edited by GNU readline, Python's `readline` module: arrows, Home/End,
Ctrl-W, and Up/Down recall this person's earlier lines. The history is held in memory only and
dropped by `forget()`, so the next person at a kiosk cannot page back through it. readline has
no read-with-timeout, so while it waits a signal every `POLL_SECONDS` polls the loop; when the
loop abandons the listen the handler raises, and readline tidies the terminal as for Ctrl-C.
(prompt-toolkit could wait with a timeout in its own event loop, but would add two dependencies
and redraw the line with its own escape codes and cursor-position queries.) Idle time counts
from the last change to the line, so a half-typed line left for the whole idle time is dropped
with the person who typed it.

From a pipe (or whenever standard input or output is not a terminal, where readline cannot draw
the line) lines are read as they are: no escape codes, waiting by `select` on the descriptor.
"""
from __future__ import annotations

import os
import re
import select
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import IO

from voice.conversation.events import Heard, Listen
from voice.session.listening import POLL_SECONDS, EndOfInput, Poll

_STYLE = re.compile(r"(\x1b\[[0-9;]*m)")
_RESET = "\x1b[0m"


class TypedInput:
    """Lines typed on a keyboard; each line is one utterance, heard with full confidence."""

    duplex = False

    def __init__(self, read_line: Callable[[Poll, str], str | EndOfInput | None], forget: Callable[[], None]):
        self._read_line = read_line
        self._forget = forget
        self.typed_ahead: Callable[[], str] = lambda: ""  # keys typed while the assistant spoke

    def listen(self, listen: Listen, poll: Poll) -> Heard | EndOfInput | None:
        line = self._read_line(poll, self.typed_ahead())
        if line is None or isinstance(line, EndOfInput):
            return line
        return Heard(line.strip(), 1.0, typed=True)

    def listen_during(self, playing: Callable[[], bool], on_speech: Callable[[], None]) -> None:
        """Typing is never done while the assistant speaks."""
        return None

    def after_speech(self, ended_at: float) -> None:
        """Typing cannot hear the assistant."""

    def forget(self) -> None:
        """A new person: drop the previous person's lines (the terminal's history)."""
        self._forget()


def open_keyboard(prompt: Callable[[], str]) -> TypedInput:
    """The keyboard on standard input: edited lines on a terminal, plain lines otherwise.

    `prompt()` is shown before each line; a style in it (an SGR escape code) also styles what is
    typed, up to the end of the line.
    """
    if sys.stdin.isatty() and sys.stdout.isatty() and threading.current_thread() is threading.main_thread():
        edited = EditedLines(prompt)
        return TypedInput(edited.read, edited.forget)
    piped = PipedLines(sys.stdin.fileno(), sys.stdout, prompt)
    return TypedInput(piped.read, lambda: None)


class _Abandoned(Exception):
    """Raised from the poll signal to end a readline wait the loop gave up."""


class EditedLines:
    """Lines edited by GNU readline on the terminal (standard input and output); main thread only.

    A helper thread sends SIGALRM to the main thread every `POLL_SECONDS` while a line is read
    (sent to the thread, not the process, so no audio thread can take it); the handler, installed
    for the life of the process, does nothing unless a line is being read.
    """

    def __init__(self, prompt: Callable[[], str]):
        import readline

        self._readline = readline
        self._prompt = prompt
        self._reading = threading.Event()
        self._poll: Poll = lambda _seconds: False
        self._line = ""
        self._changed = 0.0
        signal.signal(signal.SIGALRM, self._tick)
        threading.Thread(target=self._wake, args=(threading.get_ident(),), name="keyboard-poll", daemon=True).start()

    def read(self, poll: Poll, ahead: str = "") -> str | EndOfInput | None:
        """The next line; `ahead` is what was already typed of it."""
        self._poll, self._line, self._changed = poll, ahead, time.monotonic()
        prompt = self._prompt()
        self._readline.set_pre_input_hook(self._insert(ahead) if ahead else None)
        try:
            return self._edit(_STYLE.sub("\001\\1\002", prompt))  # readline must not count the codes as columns
        except EOFError:
            sys.stdout.write("\n")
            return EndOfInput()
        except _Abandoned:
            sys.stdout.write("\n")
            return None
        finally:
            if _STYLE.search(prompt):
                sys.stdout.write(_RESET)
            sys.stdout.flush()

    def forget(self) -> None:
        self._readline.clear_history()

    def _insert(self, text: str) -> Callable[[], None]:
        def insert() -> None:
            self._readline.insert_text(text)
            self._readline.redisplay()
        return insert

    def _edit(self, prompt: str) -> str:
        """readline's line; once this returns or raises, no tick raises again."""
        self._reading.set()
        try:
            return input(prompt)
        finally:
            self._reading.clear()

    def _tick(self, _signal: int, _frame: FrameType | None) -> None:
        if not self._reading.is_set():
            return
        line = self._readline.get_line_buffer()
        if line != self._line:
            self._line, self._changed = line, time.monotonic()
        elif self._poll(time.monotonic() - self._changed):
            raise _Abandoned

    def _wake(self, reader: int) -> None:
        while True:
            self._reading.wait()
            time.sleep(POLL_SECONDS)
            if self._reading.is_set():
                signal.pthread_kill(reader, signal.SIGALRM)


class PipedLines:
    """Plain lines from a file descriptor (a pipe, a file, a terminal that readline cannot draw on)."""

    def __init__(self, fd: int, out: IO[str], prompt: Callable[[], str]):
        self._fd = fd
        self._out = out
        self._prompt = prompt
        self._pending = b""
        self._ended = False

    def read(self, poll: Poll, ahead: str = "") -> str | EndOfInput | None:
        """The next line; `ahead` is what was already typed of it."""
        self._pending = ahead.encode() + self._pending
        self._out.write(self._prompt())
        self._out.flush()
        started = time.monotonic()
        while True:
            line = self._complete_line()
            if line is not None:
                return line
            if self._ended:
                return EndOfInput()
            if select.select([self._fd], [], [], POLL_SECONDS)[0]:
                chunk = os.read(self._fd, 65536)
                self._pending += chunk
                self._ended = not chunk
            elif poll(time.monotonic() - started):
                self._out.write("\n")
                return None

    def _complete_line(self) -> str | None:
        """The next whole line held, or the unterminated rest once the input has ended."""
        if b"\n" in self._pending:
            line, self._pending = self._pending.split(b"\n", 1)
        elif self._ended and self._pending:
            line, self._pending = self._pending, b""
        else:
            return None
        return line.decode("utf-8", errors="replace")
