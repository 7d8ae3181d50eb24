"""The knowledge commands of `symptom-voice`: `ask`, `eval` (cases and sessions files) and `kb check`.

Thin handlers, as in `voice.cli`: they load, call the pure parts and print.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from knowledge.evaluation import evaluate, load_cases
from knowledge.loader import check_knowledge, load_knowledge
from knowledge.matcher import Matcher
from knowledge.model import KnowledgeBase
from knowledge.reply import compose_reply
from voice.app import build_ears
from voice.asr.recognizer import Transcript
from voice.cli_options import settings_of
from voice.errors import VoiceError
from voice.tools.sessions_file import holds_sessions, load_sessions
from voice.tools.transcribe import transcribe_file


def ask(args: argparse.Namespace) -> int:
    kb = load_knowledge(settings_of(args).knowledge)
    result = Matcher(kb).match(args.words)
    reply = compose_reply(result, kb)
    if args.json:
        print(json.dumps({
            "text": args.words,
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


def evaluate_file(args: argparse.Namespace) -> int:
    kb = load_knowledge(args.kb)
    if holds_sessions(args.cases):
        return _eval_sessions(args, kb)
    if args.tts_command:
        raise VoiceError(f"--tts-command is the simulated person's voice: {args.cases} is a cases file, not sessions")
    cases = load_cases(args.cases)
    summary = evaluate(cases, kb, _transcriber(args, kb) if any(c.audio for c in cases) else None)
    scores = summary.scores()
    if args.json:
        print(json.dumps({"summary": scores, "cases": [{
            "id": r.case.id, "heard": r.heard, "topics": [t.id for t in r.match.topics],
            "locations": list(r.match.locations), "warnings": list(r.match.warnings),
            "confirm": list(r.confirm), "out_of_scope": r.match.out_of_scope, "ok": r.ok}
            for r in summary.results]}, indent=2))
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
                "confirm_rate", "out_of_scope_accuracy", "in_scope_called_out_of_scope", "word_error_rate"):
        value = scores[key]
        print(f"{key.replace('_', ' ')}: {'n/a' if value is None else f'{100 * value:.1f}%'}")
    return 0


def _eval_sessions(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    from voice.tools.sessions_eval import evaluate_sessions, format_sessions, summarise

    sessions = load_sessions(args.cases)
    settings = settings_of(args)
    results, notice = evaluate_sessions(sessions, kb, settings, args.tts_command)
    print(notice, file=sys.stderr)
    if args.json:
        print(json.dumps({"summary": summarise(results), "sessions": [r.as_json() for r in results]}, indent=2))
    else:
        print(format_sessions(results))
    return 0


def _transcriber(args: argparse.Namespace, kb: KnowledgeBase) -> Callable[[Path], Transcript]:
    settings = settings_of(args)
    ears = build_ears(kb, settings.engine, settings.model)
    print(ears.notice, file=sys.stderr)
    return lambda path: transcribe_file(path, ears.recognizer).transcript


def kb_check(args: argparse.Namespace) -> int:
    directory = args.dir or settings_of(args).knowledge
    problems = check_knowledge(directory)
    where = directory or "bundled knowledge base"
    if problems:
        print(f"{where}: {len(problems)} problem(s)")
        for problem in problems:
            print(f"  {problem}")
        return 1
    kb = load_knowledge(directory)
    print(f"{where}: OK, {kb.domain.name} ({len(kb.topics)} topics, {len(kb.locations)} locations, "
          f"{len(kb.warnings)} warning signs, {len(kb.domain.emergencies)} emergencies, "
          f"{len(kb.domain.follow_ups)} follow-up questions, {len(kb.speech.templates)} sentence templates)")
    return 0
