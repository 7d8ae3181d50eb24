"""The bench's figures as a table for people (`symptom-voice bench`; `--json` prints `BenchResult.to_json`)."""
from __future__ import annotations

from voice.tools.bench.result import BenchResult, EngineFigures, Stats

CUT_OFF_TARGET = 0.02  # at most one person in fifty who pauses mid-sentence is cut off
REPLY_TARGET_S = Stats(median=0.5, p95=0.8)  # end of speech to first reply sample: a reply that feels immediate
# label, field of EngineFigures, scale, unit, decimals
_ROWS = (
    ("end of speech to first reply sample", "speech_end_to_audio_s", 1000, "ms", 0),
    ("  endpoint delay (end of speech to end of turn)", "endpoint_delay_s", 1000, "ms", 0),
    ("  response latency (end of turn to first reply sample)", "response_latency_s", 1000, "ms", 0),
    ("    of which final decode (end of turn to transcript)", "final_decode_s", 1000, "ms", 0),
    ("cold start (launch to ready to listen)", "cold_start_s", 1000, "ms", 0),
    ("recogniser real-time factor", "rtf", 1, "", 3),
    ("matcher time (on what the recogniser heard)", "matcher_ms", 1, "ms", 2),
)
_WIDTH = 58


def format_bench(result: BenchResult) -> str:
    """A table per engine (median and p95 of each figure), then the matcher on two knowledge bases."""
    lines = [f"symptom-voice bench: {result.cores} CPU cores, {result.fixtures} spoken fixtures and "
             f"{result.paused_fixtures} with a mid-sentence pause, x {result.repeats} repeat(s); "
             f"{result.cold_runs} cold starts per engine"]
    lines += [f"{engine}: left out: {reason}" for engine, reason in result.skipped.items()]
    for engine, figures in result.engines.items():
        lines += ["", engine, *_engine_table(figures)]
    lines += ["", f"{'matcher (compiled), per utterance':<{_WIDTH - 16}}{'topics':>8}{'compile':>10}"
                  f"{'median':>10}{'p95':>10}"]
    for name, matcher in result.matcher.items():
        lines.append(f"  {name:<{_WIDTH - 18}}{matcher.topics:>8}{_show(matcher.compile_ms, 1, 'ms', 0):>10}"
                     f"{_show(matcher.per_utterance_ms.median, 1, 'ms', 2):>10}"
                     f"{_show(matcher.per_utterance_ms.p95, 1, 'ms', 2):>10}")
    return "\n".join(lines)


def _engine_table(figures: EngineFigures) -> list[str]:
    lines = [f"  {'figure':<{_WIDTH}}{'median':>10}{'p95':>10}",
             f"  {'target: end of speech to first reply sample':<{_WIDTH}}"
             f"{_show(REPLY_TARGET_S.median, 1000, 'ms', 0):>10}{_show(REPLY_TARGET_S.p95, 1000, 'ms', 0):>10}"]
    for label, key, scale, unit, digits in _ROWS:
        stats: Stats = getattr(figures, key)
        lines.append(f"  {label:<{_WIDTH}}{_show(stats.median, scale, unit, digits):>10}"
                     f"{_show(stats.p95, scale, unit, digits):>10}")
    lines.append(f"  {'peak resident memory':<{_WIDTH}}{figures.peak_rss_mb:>8.0f}MB")
    if figures.cut_off_rate is not None:
        lines.append(f"  {'cut off in a mid-sentence pause':<{_WIDTH}}{figures.cut_off:>4} of {figures.paused} "
                     f"({figures.cut_off_rate:.1%}; target at most {CUT_OFF_TARGET:.0%})")
        lines.append("    by pause: " + ", ".join(f"{pause} s {count.cut} of {count.of}"
                                               for pause, count in figures.cut_off_by_pause.items()))
    lines.append(f"  ({figures.replies} fixture runs timed to their reply"
                 + (f"; {figures.missed} reached no end of turn before the audio ended, so are not timed)"
                    if figures.missed else ")"))
    return lines


def _show(value: float | None, scale: float, unit: str, digits: int) -> str:
    return "-" if value is None else f"{value * scale:.{digits}f}{unit}"
