"""The `symptom-voice` command line: one entry point for users and tests alike.

Every problem a user can cause or fix ends in a one-line message and a non-zero exit status,
never a traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from knowledge.evaluation import CasesError, evaluate, load_cases
from knowledge.loader import KnowledgeError, check_knowledge, load_knowledge
from knowledge.matcher import match
from knowledge.model import KnowledgeBase
from knowledge.reply import compose_reply
from voice.app import Mode, run_assistant
from voice.settings import ENGINES, Settings, default_config_path, load_settings
from voice.asr.choice import build_recognizer
from voice.errors import VoiceError
from voice.tools.sessions_file import holds_sessions, load_sessions
from voice.tools.transcribe import transcribe_file

EXIT_USER_ERROR = 2


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        args.handler = _run
    try:
        return args.handler(args) or 0
    except KnowledgeError as error:
        print("The knowledge base has problems:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_USER_ERROR
    except (VoiceError, CasesError) as error:
        print(f"symptom-voice: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("\nGoodbye.", file=sys.stderr)
        return 130


def _run_options() -> argparse.ArgumentParser:
    """Options of the assistant itself, accepted with or without the word `run`."""
    options = argparse.ArgumentParser(add_help=False)
    group = options.add_argument_group("assistant (symptom-voice [run])")
    group.add_argument("--config", metavar="FILE", help=f"settings file (default: {default_config_path()} if present)")
    group.add_argument("--engine", choices=ENGINES, help="speech recogniser (default: auto)")
    group.add_argument("--model", metavar="DIR", help="Vosk model directory")
    group.add_argument("--text", action="store_true", help="type instead of speaking")
    group.add_argument("--mute", action="store_true", default=None, help="with --text: print replies, do not speak")
    group.add_argument("--kiosk", action="store_true", default=None, help="forget each person after the idle timeout")
    group.add_argument("--large", action="store_true", default=None, help="large, high-contrast captions")
    group.add_argument("--input", metavar="FILE.wav", help="listen to a recording instead of the microphone")
    group.add_argument("--output", metavar="FILE.wav", help="write speech to a file instead of the speaker")
    group.add_argument("--log", metavar="DIR", help="save transcripts and heard audio here (nothing is saved otherwise)")
    group.add_argument("--input-device", metavar="NAME|N", help="microphone by name or number (see: devices)")
    group.add_argument("--output-device", metavar="NAME|N", help="speaker by name or number")
    group.add_argument("--rate", type=int, help="speech rate, words per minute")
    group.add_argument("--volume", type=float, help="speech volume, 0 to 1")
    group.add_argument("--voice", help="espeak-ng voice id or part of its name")
    group.add_argument("--silence", type=float, help="seconds of silence that end what you say")
    group.add_argument("--idle-timeout", type=float, help="kiosk: seconds of silence before the next person")
    return options


def _parser() -> argparse.ArgumentParser:
    run_options = _run_options()
    parser = argparse.ArgumentParser(prog="symptom-voice", parents=[run_options], description=(
        "Offline voice assistant: explains how knee problems can cause pain elsewhere in the leg. "
        "General information, not a diagnosis. With no command, starts the assistant."))
    parser.add_argument("--kb", metavar="DIR", help="knowledge base directory (default: the bundled one)")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = sub.add_parser("run", parents=[run_options], help="start the assistant (the default)")
    run.set_defaults(handler=_run)

    tr = sub.add_parser("transcribe", help="print what a recogniser hears in a WAV file")
    tr.add_argument("file", metavar="FILE.wav")
    tr.add_argument("--engine", choices=ENGINES, default="auto")
    tr.add_argument("--model", metavar="DIR")
    tr.add_argument("--json", action="store_true", help="text, words with times, engine, real-time factor")
    tr.set_defaults(handler=_transcribe)

    say = sub.add_parser("say", help="speak a text (or write it to a WAV file)")
    say.add_argument("text")
    say.add_argument("--output", metavar="FILE.wav")
    say.add_argument("--rate", type=int, default=160)
    say.add_argument("--volume", type=float, default=0.9)
    say.add_argument("--voice")
    say.set_defaults(handler=_say)

    bench = sub.add_parser("bench", help="measure start-up, endpointing and reply latency on the spoken fixtures")
    bench.add_argument("--engine", choices=ENGINES, default="auto", help="auto: every engine that is installed")
    bench.add_argument("--repeats", type=int, default=1)
    bench.add_argument("--json", action="store_true")
    bench.set_defaults(handler=_bench)

    devices = sub.add_parser("devices", help="list microphones and speakers (* marks the defaults)")
    devices.set_defaults(handler=_devices)

    model = sub.add_parser("model", help="the Vosk speech model")
    model_sub = model.add_subparsers(title="model commands", metavar="MODEL_COMMAND", required=True)
    download = model_sub.add_parser("download", help="download and install the small English Vosk model")
    download.add_argument("--url", default=None)
    download.add_argument("--sha256", default=None)
    download.add_argument("--dest", metavar="DIR", default=None)
    download.set_defaults(handler=_model_download)
    status = model_sub.add_parser("status", help="which models are installed where")
    status.add_argument("--model", metavar="DIR")
    status.set_defaults(handler=_model_status)

    ask = sub.add_parser("ask", help="answer a typed description and print the reply")
    ask.add_argument("text")
    ask.add_argument("--json", action="store_true", help="print the match and reply as JSON")
    ask.set_defaults(handler=_ask)

    ev = sub.add_parser("eval", help="score understanding on a cases file, or whole conversations on a sessions file")
    ev.add_argument("cases", type=Path, metavar="FILE.yaml", help="a cases or a sessions file")
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--engine", choices=ENGINES, default="auto", help="recogniser for audio cases and sessions")
    ev.add_argument("--model", metavar="DIR", help="Vosk model for audio cases and sessions")
    ev.add_argument("--tts-command", metavar="CMD", help="sessions: the person's voice, a command line with "
                    "{text} and {wav} (default: the built-in synthesiser)")
    ev.set_defaults(handler=_eval)

    kb = sub.add_parser("kb", help="knowledge base tools")
    kb_sub = kb.add_subparsers(title="kb commands", metavar="KB_COMMAND", required=True)
    check = kb_sub.add_parser("check", help="validate a knowledge directory (exit 0 only when clean)")
    check.add_argument("dir", nargs="?", help="directory (default: --kb or the bundled one)")
    check.set_defaults(handler=_kb_check)
    return parser


def _ask(args: argparse.Namespace) -> int:
    kb = load_knowledge(args.kb)
    result = match(args.text, kb)
    reply = compose_reply(result, kb)
    if args.json:
        print(json.dumps({
            "text": args.text,
            "topics": [{"id": t.id, "kind": kb.topic(t.id).kind, "title": kb.topic(t.id).title, "score": t.score}
                       for t in result.topics],
            "locations": list(result.locations),
            "warnings": [{"id": w, "title": kb.warning(w).title, "urgency": kb.warning(w).urgency}
                         for w in result.warnings],
            "out_of_scope": result.out_of_scope,
            "reply": reply.text,
        }, indent=2))
    else:
        print(reply.text)
    return 0


def _eval(args: argparse.Namespace) -> int:
    kb = load_knowledge(args.kb)
    if holds_sessions(args.cases):
        return _eval_sessions(args, kb)
    cases = load_cases(args.cases)
    summary = evaluate(cases, kb, _transcriber(args, kb) if any(c.audio for c in cases) else None)
    scores = summary.scores()
    if args.json:
        print(json.dumps({"summary": scores, "cases": [{
            "id": r.case.id, "heard": r.heard, "topics": [t.id for t in r.match.topics],
            "locations": list(r.match.locations), "warnings": list(r.match.warnings),
            "out_of_scope": r.match.out_of_scope, "ok": r.ok} for r in summary.results]}, indent=2))
        return 0
    for r in summary.results:
        if not r.ok:
            print(f"FAIL {r.case.id}: {r.heard!r}")
            print(f"     want topics {list(r.case.topics)} locations {list(r.case.locations)} "
                  f"warnings {list(r.case.warnings)}{' out of scope' if r.case.out_of_scope else ''}")
            print(f"     got  topics {[t.id for t in r.match.topics[:3]]} locations {list(r.match.locations)} "
                  f"warnings {list(r.match.warnings)}{' out of scope' if r.match.out_of_scope else ''}")
    print(f"cases: {scores['cases']}, passed: {scores['passed']}")
    for key in ("warning_recall", "warning_false_alarms", "exact_warnings", "topic_hit_at_3", "location_recall",
                "out_of_scope_accuracy", "in_scope_called_out_of_scope", "word_error_rate"):
        value = scores[key]
        print(f"{key.replace('_', ' ')}: {'n/a' if value is None else f'{100 * value:.1f}%'}")
    return 0


def _eval_sessions(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    from voice.tools.sessions_eval import evaluate_sessions, format_sessions, summarise

    sessions = load_sessions(args.cases)
    settings = replace(Settings(), engine=args.engine, model=args.model, knowledge=args.kb)
    results, notice = evaluate_sessions(sessions, kb, settings, args.tts_command)
    print(notice, file=sys.stderr)
    if args.json:
        print(json.dumps({"summary": summarise(results), "sessions": [r.as_json() for r in results]}, indent=2))
    else:
        print(format_sessions(results))
    return 0


def _transcriber(args: argparse.Namespace, kb: KnowledgeBase) -> Callable[[Path], str]:
    ears = build_recognizer(kb, args.engine, args.model)
    print(ears.notice, file=sys.stderr)
    return lambda path: transcribe_file(path, ears.recognizer).transcript.text


def _run(args: argparse.Namespace) -> int:
    overrides = {
        "engine": args.engine, "model": args.model, "kiosk": args.kiosk, "large": args.large, "mute": args.mute,
        "log_dir": args.log, "input_device": args.input_device, "output_device": args.output_device,
        "rate": args.rate, "volume": args.volume, "voice": args.voice, "silence": args.silence,
        "idle_timeout": args.idle_timeout, "knowledge": args.kb,
    }
    settings = load_settings(args.config, overrides)
    run_assistant(settings, Mode(text=args.text, input_wav=args.input, output_wav=args.output))
    return 0


def _transcribe(args: argparse.Namespace) -> int:
    kb = load_knowledge(args.kb)
    ears = build_recognizer(kb, args.engine, args.model)
    result = transcribe_file(Path(args.file), ears.recognizer)
    if args.json:
        print(json.dumps({
            "text": result.transcript.text, "engine": ears.recognizer.name,
            "words": [{"word": w.text, "start": w.start, "end": w.end, "confidence": w.confidence}
                      for w in result.transcript.words],
            "real_time_factor": round(result.real_time_factor, 4),
        }, indent=2))
    else:
        print(result.transcript.text)
    return 0


def _say(args: argparse.Namespace) -> int:
    from voice.tts.pyttsx3_engine import Pyttsx3Synthesizer

    audio = Pyttsx3Synthesizer(rate=args.rate, volume=args.volume, voice=args.voice).synthesize(args.text)
    if args.output:
        from voice.audio.wavfile import WavSink

        sink = WavSink(args.output)
    else:
        from voice.audio.devices import SpeakerSink

        sink = SpeakerSink()
    try:
        sink.play(audio)
    finally:
        sink.close()
    return 0


def _bench(args: argparse.Namespace) -> int:
    from voice.tools.bench import format_bench, run_bench

    result = run_bench([args.engine], repeats=args.repeats)
    if args.json:
        for engine, reason in result["skipped"].items():
            print(f"{engine}: left out: {reason}", file=sys.stderr)
        print(json.dumps(result, indent=2))
    else:
        print(format_bench(result))
    return 0


def _devices(args: argparse.Namespace) -> int:
    from voice.audio.devices import list_devices

    for device in list_devices():
        kinds = "/".join(k for k, on in (("input", device.is_input), ("output", device.is_output)) if on)
        mark = "*" if device.default_input or device.default_output else " "
        print(f"{mark} {device.index:3d}  {device.name}  ({kinds})")
    return 0


def _model_download(args: argparse.Namespace) -> int:
    from voice.asr.vosk_download import DEFAULT_SHA256, DEFAULT_URL, download_model, progress_bar

    def show(received: int, total: int | None) -> None:
        print("\r" + progress_bar(received, total), end="", file=sys.stderr, flush=True)

    path = download_model(args.url or DEFAULT_URL, args.sha256 or (None if args.url else DEFAULT_SHA256),
                          args.dest, show)
    print(f"\nInstalled the Vosk model in {path}")
    return 0


def _model_status(args: argparse.Namespace) -> int:
    from voice.asr.vosk_download import model_status

    found = model_status(args.model)
    if not found:
        print("No Vosk model installed: the assistant uses PocketSphinx. Run: symptom-voice model download")
    for status in found:
        state = "in use" if status.active else ("broken: " + status.problem if status.problem else "installed")
        print(f"{status.path}  ({status.source}; {state})")
    return 0


def _kb_check(args: argparse.Namespace) -> int:
    directory = args.dir or args.kb
    problems = check_knowledge(directory)
    where = directory or "bundled knowledge base"
    if problems:
        print(f"{where}: {len(problems)} problem(s)")
        for problem in problems:
            print(f"  {problem}")
        return 1
    kb = load_knowledge(directory)
    print(f"{where}: OK ({len(kb.topics)} topics, {len(kb.locations)} locations, {len(kb.warnings)} warning signs)")
    return 0
