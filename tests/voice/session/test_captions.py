"""Captions: plain when piped, large and high-contrast for low vision, never splitting words, and
a kiosk's screen cleared between people. A pseudo-terminal stands in for the screen."""
import fcntl
import io
import os
import re
import select
import struct
import termios

import pytest

from voice.session.captions import FORGOTTEN, LARGE_WIDTH, Captions

ANSWER = ("Marked swelling, redness or warmth around the knee or leg can be a sign of inflammation or "
          "infection. Please see a doctor about it soon.")
CODE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class Terminal:
    """A pseudo-terminal of a given width: Captions write to its screen side, the test reads the other."""

    def __init__(self, columns: int = 80):
        self.reader, screen = os.openpty()
        fcntl.ioctl(screen, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        self.stream = os.fdopen(screen, "w", encoding="utf-8")

    def output(self) -> str:
        self.stream.flush()
        data = b""
        while select.select([self.reader], [], [], 0.2)[0]:
            data += os.read(self.reader, 65536)
        return data.decode().replace("\r\n", "\n")

    def close(self):
        self.stream.close()
        os.close(self.reader)


@pytest.fixture
def terminal():
    opened = []

    def make(columns=80):
        opened.append(Terminal(columns))
        return opened[-1]

    yield make
    for t in opened:
        t.close()


def text_lines(output: str) -> list[str]:
    return [line for line in CODE.sub("", output).splitlines() if line.strip()]


def test_plain_captions_name_the_speaker_and_indent_what_wraps():
    out = io.StringIO()
    captions = Captions(out)
    captions.heard("my knee is red")
    captions.said(("Important:", ANSWER))
    captions.heard("")
    captions.heard("", typed=True)
    lines = out.getvalue().splitlines()
    assert lines[0] == "You: my knee is red"
    assert lines[1].startswith("Assistant: Important: Marked swelling") and all(
        line.startswith("  ") for line in lines[2:-2])
    assert lines[-2:] == ["You: (words not made out)", "You: (nothing typed)"]
    assert max(map(len, lines)) <= 88 and "\x1b" not in out.getvalue()


def test_words_and_paths_are_never_split_at_hyphens_or_for_length():
    out = io.StringIO()
    path = "/home/someone/symptom-voice-logs/session-20261129-153000/utterance-001.wav"
    Captions(out, large=True).note(f"Saving the well-being check-up log in {path} as requested")
    words = out.getvalue().split()
    assert path in words and "well-being" in words and "check-up" in words


def test_large_piped_is_sentence_case_narrow_and_widely_spaced_without_codes():
    out = io.StringIO()
    captions = Captions(out, large=True)
    captions.said((ANSWER,))
    captions.heard("my knee hurts")
    text = out.getvalue()
    assert "\x1b" not in text and "Assistant: Marked swelling, redness" in text and "MARKED" not in text
    lines = text.split("\n")
    assert max(map(len, lines)) <= LARGE_WIDTH
    answer_end = lines.index("You: my knee hurts")
    assert all(line == "" for line in lines[1:answer_end:2])  # a blank line between lines
    assert lines[answer_end - 2:answer_end] == ["", ""]  # and two between captions


def test_large_on_a_terminal_is_bold_high_contrast_with_the_persons_words_apart(terminal):
    screen = terminal()
    captions = Captions(screen.stream, large=True)
    captions.said((ANSWER,))
    captions.heard("my knee hurts")
    output = screen.output()
    assistant, person = output.split("\x1b[1;93;40m You: my knee hurts")
    assert "\x1b[1;97;40m Assistant: Marked" in assistant and "\x1b[1;93;40m" not in assistant
    assert all(line.endswith("\x1b[0m") for line in output.splitlines() if "\x1b[1;" in line)
    assert "Marked swelling" in output and "MARKED" not in output
    assert max(len(line) for line in text_lines(output)) <= LARGE_WIDTH + 2  # a space of margin each side
    assert captions.prompt() == "\x1b[1;93;40m > "  # what is typed takes the person's style


def test_large_follows_a_narrow_terminal_as_after_zooming_in(terminal):
    screen = terminal(columns=24)
    Captions(screen.stream, large=True).said((ANSWER,))
    lines = text_lines(screen.output())
    assert max(map(len, lines)) <= 24 and len(lines) > 6


def test_plain_on_a_terminal_has_no_codes_and_a_plain_prompt(terminal):
    screen = terminal()
    captions = Captions(screen.stream)
    captions.said(("Hello.",))
    assert screen.output() == "Assistant: Hello.\n" and captions.prompt() == "> "


def test_forgetting_clears_the_screen_and_its_scrollback_on_a_terminal(terminal):
    screen = terminal()
    captions = Captions(screen.stream)
    captions.said((ANSWER,))
    captions.forget()
    assert screen.output().endswith("\x1b[H\x1b[2J\x1b[3J")


def test_forgetting_in_printed_output_marks_where_the_next_person_starts():
    out = io.StringIO()
    captions = Captions(out)
    captions.said(("Goodbye. Take care.",))
    captions.forget()
    assert out.getvalue().splitlines() == ["Assistant: Goodbye. Take care.", f"*: {FORGOTTEN}"]


def test_the_transcript_gets_each_caption_whole_and_plain():
    written = []
    Captions(io.StringIO(), large=True, transcript=written.append).said(("Hello.", ANSWER))
    assert written == [f"Assistant: Hello. {ANSWER}"]


def test_words_heard_as_going_on_with_the_last_begin_with_an_ellipsis():
    out = io.StringIO()
    captions = Captions(out)
    captions.heard("and my calf", continues=True)
    captions.heard("", continues=True)
    assert out.getvalue().splitlines() == ["You: ... and my calf", "You: (words not made out)"]
