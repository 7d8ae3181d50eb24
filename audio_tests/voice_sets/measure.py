"""Measure understanding on the voice sets (and any other cases files): the tables for a note.

    python audio_tests/voice_sets/measure.py [--engine pocketsphinx] [--split tune] [--cases FILE ...]
                                             [--no-sessions] [--out DIR] [--symptom-voice CMD]

Runs `symptom-voice eval --json` for each voice's spoken cases (built first with `voice_set.py
build`), each voice's sessions (the person speaking with that voice through `--tts-command`),
and each extra cases file (e.g. shared/eval/real-voices/cases.yaml); keeps every JSON in --out
and prints markdown tables. A split's row is over all its voices: the voices speak the same texts,
so its shares are the voices' means; its turns and seconds are taken over all its sessions.
"""
from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np

from voice_set import HERE, SPLITS, VOICES, available

ROOT = HERE.parents[1]
CASE_COLUMNS = (("word_error_rate", "WER"), ("warning_recall", "warning recall"),
                ("warning_false_alarms", "false alarms"), ("confirm_rate", "confirm rate"),
                ("out_of_scope_accuracy", "out of scope"), ("location_recall", "locations"),
                ("topic_hit_at_3", "topic hit@3"))
SESSION_COLUMNS = (("person_word_error_rate", "person WER"), ("warning_recall", "warning recall"),
                   ("warning_false_alarms", "false alarms"), ("explained", "explained"),
                   ("out_of_scope_accuracy", "out of scope"))


def run_eval(program: list[str], path: Path, engine: str, saved: Path, tts_command: str | None = None) -> dict:
    command = [*program, "eval", "--json", "--engine", engine, str(path)]
    if tts_command:
        command += ["--tts-command", tts_command]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        sys.exit(f"{path}: {done.stderr.strip()}")
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_text(done.stdout, encoding="utf-8")
    return json.loads(done.stdout)


def speak_command(voice_id: str) -> str:
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(HERE / 'voice_set.py'))} speak {voice_id} {{text}} {{wav}}"


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"


def case_row(label: str, summary: dict) -> str:
    return "| " + " | ".join([label] + [percent(summary.get(key)) for key, _ in CASE_COLUMNS]) + " |"


def session_row(label: str, summary: dict, turns: list[float], seconds: list[float]) -> str:
    def middle(values: list[float]) -> str:
        return "n/a" if not values else f"{np.percentile(values, 50):.1f} / {np.percentile(values, 95):.1f}"
    cells = [percent(summary.get(key)) for key, _ in SESSION_COLUMNS]
    return "| " + " | ".join([label] + cells + [middle(turns), middle(seconds)]) + " |"


def mean_summary(summaries: list[dict]) -> dict:
    keys = {key for summary in summaries for key in summary}
    pooled = {}
    for key in keys:
        values = [s[key] for s in summaries if isinstance(s.get(key), (int, float))]
        pooled[key] = sum(values) / len(values) if values else None
    return pooled


def session_numbers(data: dict) -> tuple[list[float], list[float]]:
    """Per session: person turns before the first answer (all its turns when none came), assistant seconds."""
    turns, seconds = [], []
    for session in data["sessions"]:
        taken = sum(turn["who"] == "person" for turn in session["turns"])
        first = session["person_turns_to_first_explanation"]
        turns.append(taken if first is None else first)
        seconds.append(session["assistant_seconds"])
    return turns, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="pocketsphinx")
    parser.add_argument("--split", choices=SPLITS, action="append")
    parser.add_argument("--cases", type=Path, action="append", default=[], help="another cases file to score")
    parser.add_argument("--no-sessions", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE / "generated" / "results")
    parser.add_argument("--symptom-voice", metavar="CMD", help="the program to measure (default: this checkout's)")
    args = parser.parse_args()
    program = shlex.split(args.symptom_voice) if args.symptom_voice else [sys.executable, "-m", "voice"]
    case_lines = ["| set | " + " | ".join(name for _, name in CASE_COLUMNS) + " |",
                  "| --- " * (len(CASE_COLUMNS) + 1) + "|"]
    session_lines = ["| set | " + " | ".join(name for _, name in SESSION_COLUMNS)
                     + " | turns to first answer (median / p95) | assistant seconds (median / p95) |",
                     "| --- " * (len(SESSION_COLUMNS) + 3) + "|"]
    for split in args.split or SPLITS:
        voices = [v for v, voice in VOICES.items() if voice.split == split and available(v)]
        case_summaries, session_summaries, all_turns, all_seconds = [], [], [], []
        for voice_id in voices:
            cases = HERE / "generated" / split / voice_id / "cases.yaml"
            if not cases.exists():
                sys.exit(f"{cases} is missing: run voice_set.py build first")
            data = run_eval(program, cases, args.engine, args.out / split / f"{voice_id}-cases.json")
            case_summaries.append(data["summary"])
            case_lines.append(case_row(f"{split}: {voice_id}", data["summary"]))
            if args.no_sessions:
                continue
            data = run_eval(program, HERE / split / "sessions.yaml", args.engine, args.out / split / f"{voice_id}-sessions.json",
                            speak_command(voice_id))
            turns, seconds = session_numbers(data)
            session_summaries.append(data["summary"])
            all_turns += turns
            all_seconds += seconds
            session_lines.append(session_row(f"{split}: {voice_id}", data["summary"], turns, seconds))
            print(session_lines[-1], file=sys.stderr)
        case_lines.append(case_row(f"**{split} (all voices)**", mean_summary(case_summaries)))
        if session_summaries:
            session_lines.append(session_row(f"**{split} (all voices)**", mean_summary(session_summaries),
                                             all_turns, all_seconds))
    for extra in args.cases:
        data = run_eval(program, extra, args.engine, args.out / f"{extra.parent.name}-{extra.stem}.json")
        case_lines.append(case_row(str(extra.parent.name), data["summary"]))
    print(f"Per utterance ({args.engine}):\n\n" + "\n".join(case_lines))
    if len(session_lines) > 2:
        print(f"\nSessions ({args.engine}):\n\n" + "\n".join(session_lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
