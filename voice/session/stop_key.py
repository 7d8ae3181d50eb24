"""A key on the terminal cuts the assistant's speech, for anyone who cannot wait it out.

Speaking (the microphone is the input): Space or Escape, watched for the whole session. Typing
(`--text` with speech on): Escape only, and only while the assistant speaks, because in between
the terminal belongs to line editing; anything else typed while it spoke is kept and handed to
the next line (`take_typed`), so no keystroke is lost.

Only on a real terminal: it is put in cbreak mode while watched (keys arrive one at a time,
Ctrl-C still works) and restored afterwards.
"""
from __future__ import annotations

import os
import select
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

STOP_KEYS = frozenset({" ", "\x1b"})
TYPING_STOP_KEYS = frozenset({"\x1b"})


class StopKeyWatcher:
    def __init__(self, on_stop: Callable[[], None], keys: frozenset[str] = STOP_KEYS, while_speaking: bool = False):
        self._on_stop = on_stop
        self._keys = keys
        self._while_speaking = while_speaking
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._saved: list | None = None
        self._typed: list[str] = []

    def __enter__(self) -> StopKeyWatcher:
        if not self._while_speaking:
            self._watch_terminal()
        return self

    def __exit__(self, *_: object) -> None:
        self._release_terminal()

    @contextmanager
    def speaking(self) -> Iterator[None]:
        """Around the assistant's speech: watch now if keys are watched only then."""
        if self._while_speaking:
            self._watch_terminal()
        try:
            yield
        finally:
            if self._while_speaking:
                self._release_terminal()

    def take_typed(self) -> str:
        """What was typed while watching that was not a stop key (given once)."""
        typed, self._typed = "".join(self._typed), []
        return typed

    def _watch_terminal(self) -> None:
        if not sys.stdin.isatty() or self._thread is not None:
            return
        import termios
        import tty

        fd = sys.stdin.fileno()
        self._saved = termios.tcgetattr(fd)
        tty.setcbreak(fd)
        self._done.clear()
        self._thread = threading.Thread(target=self._watch, args=(fd,), daemon=True)
        self._thread.start()

    def _release_terminal(self) -> None:
        self._done.set()
        if self._thread:
            self._thread.join(timeout=1)
            self._thread = None
        if self._saved is not None:
            import termios

            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, self._saved)
            self._saved = None

    def _watch(self, fd: int) -> None:
        while not self._done.is_set():
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            key = os.read(fd, 1).decode(errors="ignore")
            if key in self._keys:
                self._on_stop()
            elif key and key not in STOP_KEYS - {" "}:
                self._typed.append(key)
