"""Space or Escape on the terminal cuts the assistant's speech, for anyone who cannot wait it out.

Only on a real terminal: the terminal is put in cbreak mode (keys arrive one at a time, Ctrl-C
still works) and restored on exit.
"""
from __future__ import annotations

import os
import select
import sys
import threading
from collections.abc import Callable

STOP_KEYS = {" ", "\x1b"}


class StopKeyWatcher:
    def __init__(self, on_stop: Callable[[], None]):
        self._on_stop = on_stop
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._saved = None

    def __enter__(self) -> StopKeyWatcher:
        if sys.stdin.isatty():
            import termios
            import tty

            fd = sys.stdin.fileno()
            self._saved = termios.tcgetattr(fd)
            tty.setcbreak(fd)
            self._thread = threading.Thread(target=self._watch, args=(fd,), daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        if self._thread:
            self._thread.join(timeout=1)
        if self._saved is not None:
            import termios

            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, self._saved)

    def _watch(self, fd: int) -> None:
        while not self._done.is_set():
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready and os.read(fd, 1).decode(errors="ignore") in STOP_KEYS:
                self._on_stop()
