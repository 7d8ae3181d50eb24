"""The `symptom-voice` command line: one entry point for users and tests alike (the knowledge
commands' handlers are in `voice.cli_knowledge`).

Every problem a user can cause or fix ends in a one-line message and a non-zero exit status,
never a traceback.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from knowledge.evaluation import CasesError
from knowledge.loader import KnowledgeError, load_knowledge
from voice import cli_knowledge
from voice.app import Mode, build_ears, run_assistant
from voice.cli_options import (EXIT_USER_ERROR, Parser, add_command, global_options, refuse_muted_speech,
                               refuse_unused, run_options, settings_of, spoken_commands)
from voice.errors import VoiceError
from voice.settings import ENGINES, add_options
from voice.tools.transcribe import transcribe_file


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    refuse_unused(parser, args)
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
    except BrokenPipeError:  # output piped into `head` or the like, which stopped reading: end quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # what is still buffered goes nowhere
        return 141  # as a command ended by SIGPIPE
    except OSError as error:  # a file or folder the person named; the specific cases say more
        print(f"symptom-voice: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("\nGoodbye.", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    """Every command and option of `symptom-voice`."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = Parser(prog="symptom-voice", epilog=spoken_commands(), formatter_class=raw, description=(
        "Offline voice assistant: explains how knee problems can cause pain elsewhere in the leg.\n"
        "General information, not a diagnosis. With no command, starts the assistant."))
    global_options(parser)
    run_options(parser)
    parser.set_defaults(handler=_run, options=None)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    add_command(sub, "run", "start the assistant (the default)", _run, lambda p: run_options(p, suppress=True),
                epilog=spoken_commands(), formatter_class=raw).set_defaults(options=None)

    def transcribe(p: argparse.ArgumentParser) -> None:
        p.add_argument("file", metavar="FILE.wav", help="the recording (any WAV; converted to 16 kHz mono)")
        add_options(p, ("engine", "model"), suppress=True)
        p.add_argument("--json", action="store_true", help="text, words with times, engine, real-time factor")
    add_command(sub, "transcribe", "print what a recogniser hears in a WAV file", _transcribe, transcribe)

    def say(p: argparse.ArgumentParser) -> None:
        p.add_argument("words", metavar="TEXT", help="the words to speak, in quotes")
        p.add_argument("--output", metavar="FILE.wav", default=argparse.SUPPRESS,
                       help="write the speech to this file instead of the speaker")
        add_options(p, ("rate", "volume", "voice", "output_device"), suppress=True)
    add_command(sub, "say", "speak a text (or write it to a WAV file)", _say, say)

    def voices(p: argparse.ArgumentParser) -> None:
        p.add_argument("match", nargs="?", help="show only voices whose id, name or language contains this")
    add_command(sub, "voices", "list the espeak-ng voices for --voice", _voices, voices)

    def bench(p: argparse.ArgumentParser) -> None:
        p.add_argument("--engine", choices=ENGINES, default=argparse.SUPPRESS,
                       help="auto (the default): every engine that is installed")
        p.add_argument("--repeats", type=int, default=1, help="times to run over the fixtures (default 1)")
        p.add_argument("--fixtures", type=int, metavar="N", help="only the first N fixtures of each set (a quick look)")
        p.add_argument("--json", action="store_true", help="print the figures as JSON")
    add_command(sub, "bench", "measure start-up, reply latency and mid-sentence cut-offs on the spoken fixtures",
                _bench, bench)
    add_command(sub, "devices", "list microphones and speakers (* marks the defaults)", _devices)

    model = sub.add_parser("model", help="the Vosk speech model")
    model_sub = model.add_subparsers(title="model commands", metavar="MODEL_COMMAND", required=True)

    def download(p: argparse.ArgumentParser) -> None:
        p.add_argument("--url", default=None, metavar="URL|FILE.zip",
                       help="another address, or a copy of the archive fetched elsewhere (works offline)")
        p.add_argument("--sha256", default=None,
                       help="checksum the archive must have (known for the official archive's name)")
        p.add_argument("--dest", metavar="DIR", default=None, help="install here (default: ~/.cache/vosk)")
    add_command(model_sub, "download", "download and install the small English Vosk model", _model_download, download)
    add_command(model_sub, "status", "which models are installed where", _model_status,
                lambda p: p.add_argument("--model", metavar="DIR", help="also check this model folder"))

    def ask(p: argparse.ArgumentParser) -> None:
        p.add_argument("words", metavar="TEXT", help="what hurts, in your own words, in quotes")
        p.add_argument("--json", action="store_true", help="print the match and reply as JSON")
    add_command(sub, "ask", "answer a typed description and print the reply", cli_knowledge.ask, ask)

    def ev(p: argparse.ArgumentParser) -> None:
        p.add_argument("cases", type=Path, metavar="FILE.yaml",
                       help="a cases or a sessions file (see the README's Evaluation section)")
        p.add_argument("--json", action="store_true", help="print the scores and each case or session as JSON")
        add_options(p, ("engine", "model"), suppress=True)
        p.add_argument("--tts-command", metavar="CMD", help="sessions: the person's voice, a command line with "
                       "{text} and {wav} (default: the built-in synthesiser)")
    add_command(sub, "eval", "score understanding on a cases file, or whole conversations on a sessions file",
                cli_knowledge.evaluate_file, ev)

    kb = sub.add_parser("kb", help="knowledge base tools")
    kb_sub = kb.add_subparsers(title="kb commands", metavar="KB_COMMAND", required=True)
    add_command(kb_sub, "check", "validate a knowledge directory (exit 0 only when clean)", cli_knowledge.kb_check,
                lambda p: p.add_argument("dir", nargs="?", help="directory (default: --kb or the bundled one)"))
    return parser


def _run(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    refuse_muted_speech(args, settings)
    run_assistant(settings, Mode(text=bool(args.text), input_wav=args.input, output_wav=args.output))
    return 0


def _transcribe(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    kb = load_knowledge(settings.knowledge)
    ears = build_ears(kb, settings.engine, settings.model)
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
    if not any(character.isalnum() for character in args.words):
        raise VoiceError('nothing to say: give the words in quotes, for example: symptom-voice say "Hello"')
    settings = settings_of(args)
    from voice.tts.pyttsx3_engine import Pyttsx3Synthesizer

    audio = Pyttsx3Synthesizer(rate=settings.rate, volume=settings.volume, voice=settings.voice).synthesize(args.words)
    if args.output:
        from voice.audio.wavfile import WavSink

        sink = WavSink(args.output)
    else:
        from voice.audio.speaker import SpeakerSink

        sink = SpeakerSink(settings.output_device)
    try:
        sink.play(audio)
    finally:
        sink.close()
    return 0


def _voices(args: argparse.Namespace) -> int:
    from voice.tts.pyttsx3_engine import list_voices

    wanted = (args.match or "").lower()
    shown = [v for v in list_voices() if wanted in " ".join((v.id, v.name, *v.languages)).lower()]
    if not shown:
        raise VoiceError(f"no espeak-ng voice matches {args.match!r}: run 'symptom-voice voices' to see them all")
    for voice in shown:
        print(f"{voice.id:<24} {voice.name}  ({', '.join(voice.languages)})")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from voice.tools.bench import format_bench, run_bench

    result = run_bench([args.engine or "auto"], repeats=args.repeats, fixtures=args.fixtures)
    if args.json:
        for engine, reason in result.skipped.items():
            print(f"{engine}: left out: {reason}", file=sys.stderr)
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(format_bench(result))
    return 0


def _devices(args: argparse.Namespace) -> int:
    from voice.audio.devices import list_devices

    devices = list_devices()
    for device in devices:
        kinds = "/".join(k for k, on in (("input", device.is_input), ("output", device.is_output)) if on)
        mark = "*" if device.default_input or device.default_output else " "
        print(f"{mark} {device.index:3d}  {device.name}  ({kinds})")
    missing = [noun for noun, found in (("microphone", any(d.is_input for d in devices)),
                                        ("speaker", any(d.is_output for d in devices))) if not found]
    if missing:
        print(f"No {' and no '.join(missing)} found: connect one and check the sound server (PulseAudio or "
              f"PipeWire) is running. Meanwhile the assistant can be typed to (--text) and print its replies.")
    return 0


def _model_download(args: argparse.Namespace) -> int:
    from voice.asr.vosk_download import DEFAULT_URL, download_model, progress_bar

    shown = ""

    def show(received: int, total: int | None) -> None:
        nonlocal shown
        bar = progress_bar(received, total)
        if bar != shown:
            print("\r" + bar, end="", file=sys.stderr, flush=True)
            shown = bar

    try:
        path = download_model(args.url or DEFAULT_URL, args.sha256, args.dest, show)
    finally:
        if shown:  # whatever comes next, a message or the prompt, starts on its own line
            print(file=sys.stderr, flush=True)
    print(f"The Vosk model is installed in {path}: the assistant will listen with it.")
    return 0


def _model_status(args: argparse.Namespace) -> int:
    from voice.asr.vosk_model import model_status

    found = model_status(args.model)
    for status in found:
        state = "in use" if status.in_use else ("broken: " + status.problem if status.problem else "installed")
        print(f"{status.path}  ({status.source}; {state})")
    if not found:
        print("No Vosk model installed: the assistant listens with PocketSphinx (built in). "
              "For better recognition run: symptom-voice model download")
    elif not any(status.in_use for status in found):
        print("So the assistant listens with PocketSphinx (built in).")
    return 0
