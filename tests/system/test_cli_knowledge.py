"""The command line's knowledge commands, run as a user runs them."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from paths import ROOT



def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "voice", *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_ask_prints_reply_with_notice():
    out = cli("ask", "my knee is red and swollen and feels hot")
    assert out.returncode == 0 and "not a diagnosis" in out.stdout


def test_ask_json_shape():
    data = json.loads(cli("ask", "--json", "sudden severe pain after a fall playing football").stdout)
    assert set(data) == {"text", "topics", "locations", "warnings", "out_of_scope", "reply"}
    assert data["warnings"][0] == {"id": "severe_pain_after_injury", "title": data["warnings"][0]["title"], "urgency": "urgent"}
    assert {"id", "kind", "title", "score"} == set(data["topics"][0])


def test_eval_json_and_text(tmp_path):
    cases = tmp_path / "cases.yaml"
    cases.write_text("version: 1\ncases:\n  - id: a\n    say: my calf aches\n    topics: [referred_pain]\n"
                     "    locations: [calf]\n    warnings: []\n  - id: b\n    say: play some jazz\n    out_of_scope: true\n")
    data = json.loads(cli("eval", "--json", str(cases)).stdout)
    assert data["summary"]["cases"] == 2 and [c["ok"] for c in data["cases"]] == [True, True]
    assert {"id", "topics", "locations", "warnings", "out_of_scope", "ok"} <= set(data["cases"][0])
    text = cli("eval", str(cases)).stdout
    assert "warning recall" in text and "topic hit at 3: 100.0%" in text


@pytest.mark.parametrize("content, message", [
    ("version: 1\ncases: 3\n", "expected 'version: 1'"),
    ("version: 1\ncases:\n  - id: a\n", "'say' (text) are required"),
    ("version: 1\ncases:\n  - {id: a, say: hi, color: red}\n", "unknown key"),
    ("version: [\n", "not valid YAML"),
])
def test_eval_malformed_cases_exit_2(tmp_path, content, message):
    cases = tmp_path / "bad.yaml"
    cases.write_text(content)
    out = cli("eval", str(cases))
    assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr


def test_kb_check_clean_and_broken(tmp_path):
    assert cli("kb", "check").returncode == 0
    (tmp_path / "bad.yaml").write_text("topics:\n  - id: x\n    kind: condition\n")
    out = cli("kb", "check", str(tmp_path))
    assert out.returncode == 1 and "bad.yaml:2: topics[x].title: missing required field" in out.stdout


def test_broken_kb_setting_gives_clear_message(tmp_path):
    out = cli("--kb", str(tmp_path / "missing"), "ask", "knee")
    assert out.returncode == 2 and "no such knowledge directory" in out.stderr and "Traceback" not in out.stderr
