"""The `symptom-voice` command line: one entry point for users and tests alike.

Every problem a user can cause or fix ends in a one-line message and a non-zero exit status,
never a traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from knowledge.evaluation import CasesError, evaluate, load_cases
from knowledge.loader import KnowledgeError, check_knowledge, load_knowledge
from knowledge.matcher import match
from knowledge.reply import compose_reply
from voice.errors import VoiceError

EXIT_USER_ERROR = 2


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="symptom-voice", description=(
        "Offline voice assistant: explains how knee problems can cause pain elsewhere in the leg. "
        "General information, not a diagnosis."))
    parser.add_argument("--kb", metavar="DIR", help="knowledge base directory (default: the bundled one)")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    ask = sub.add_parser("ask", help="answer a typed description and print the reply")
    ask.add_argument("text")
    ask.add_argument("--json", action="store_true", help="print the match and reply as JSON")
    ask.set_defaults(handler=_ask)

    ev = sub.add_parser("eval", help="score the matcher on a cases file")
    ev.add_argument("cases", type=Path)
    ev.add_argument("--json", action="store_true")
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
    cases = load_cases(args.cases)
    summary = evaluate(cases, kb, _transcriber(args) if any(c.audio for c in cases) else None)
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


def _transcriber(args: argparse.Namespace):
    raise VoiceError("audio cases need the speech engines, which are not installed in this build")


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
