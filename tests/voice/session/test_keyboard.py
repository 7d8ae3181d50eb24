"""Typed lines from a pipe: whole lines, the end of input, and the loop's idle polling while nobody types.

Line editing on a terminal is driven through a pseudo-terminal in tests/system/test_keyboard_terminal.py.
"""
import io
import os
import threading
import time

import pytest

from voice.conversation.events import Expect, Heard, Listen
from voice.session.keyboard import PipedLines, TypedInput
from voice.session.listening import POLL_SECONDS, EndOfInput

LISTEN = Listen(Expect.DESCRIPTION, 8.0)


@pytest.fixture
def pipe():
    read_end, write_end = os.pipe()
    yield read_end, write_end
    for fd in (read_end, write_end):
        try:
            os.close(fd)
        except OSError:
            pass


def keyboard(read_end: int) -> tuple[TypedInput, io.StringIO]:
    out = io.StringIO()
    lines = PipedLines(read_end, out, lambda: "> ")
    return TypedInput(lines.read, lambda: None), out


def never(_seconds: float) -> bool:
    return False


def test_each_line_is_one_typed_utterance_and_the_end_of_input_ends_it(pipe):
    read_end, write_end = pipe
    typed, out = keyboard(read_end)
    os.write(write_end, "  my knee hurts \nrepeat\nno newline at the end".encode())
    os.close(write_end)
    assert typed.listen(LISTEN, never) == Heard("my knee hurts", 1.0, typed=True)
    assert typed.listen(LISTEN, never) == Heard("repeat", 1.0, typed=True)
    assert typed.listen(LISTEN, never) == Heard("no newline at the end", 1.0, typed=True)
    assert typed.listen(LISTEN, never) == EndOfInput()
    assert out.getvalue() == "> " * 4


def test_a_line_in_pieces_and_bytes_that_are_not_utf8(pipe):
    read_end, write_end = pipe
    typed, _ = keyboard(read_end)

    def write_slowly():
        for piece in (b"my kn", "ee h\xc3".encode("latin-1"), b"\xa9\xff urts\n"):
            time.sleep(0.05)
            os.write(write_end, piece)

    writer = threading.Thread(target=write_slowly)
    writer.start()
    heard = typed.listen(LISTEN, never)
    writer.join()
    assert heard.text == "my knee h\u00e9\ufffd urts"


def test_nobody_typing_polls_the_loop_with_the_seconds_waited_and_stops_when_it_says(pipe):
    read_end, _ = pipe
    typed, out = keyboard(read_end)
    polled = []

    def poll(seconds: float) -> bool:
        polled.append(seconds)
        return len(polled) == 3

    started = time.monotonic()
    assert typed.listen(LISTEN, poll) is None
    assert time.monotonic() - started >= 3 * POLL_SECONDS * 0.9
    assert polled == sorted(polled) and polled[0] >= POLL_SECONDS * 0.9
    assert out.getvalue() == "> \n"  # the abandoned prompt's line is ended before anything else is printed


def test_a_line_typed_after_an_idle_poll_is_still_heard(pipe):
    read_end, write_end = pipe
    typed, _ = keyboard(read_end)
    polled = []

    def poll(seconds: float) -> bool:
        if not polled:
            os.write(write_end, b"tell me more\n")
        polled.append(seconds)
        return False

    assert typed.listen(LISTEN, poll) == Heard("tell me more", 1.0, typed=True)
    assert len(polled) == 1


def test_typing_never_listens_during_speech_and_has_no_echo_to_skip(pipe):
    typed, _ = keyboard(pipe[0])
    assert typed.duplex is False
    assert typed.listen_during(lambda: True, lambda: None) is None
    typed.after_speech(0.0)
