"""The loader names file, line and field for every kind of bad knowledge file."""
from pathlib import Path

import pytest

from knowledge.loader import DEFAULT_DIR, KnowledgeError, check_knowledge, load_knowledge
from packs import DOMAIN, LOCATION, TOPIC

REQUIRED_IDS = {
    "osteoarthritis", "meniscus_tear", "patellofemoral_pain", "ligament_injury", "bursitis",
    "patellar_tendonitis", "referred_pain", "altered_gait", "muscle_imbalance",
    "knee", "thigh", "calf", "shin", "ankle", "foot", "hip", "lower_back",
    "persistent_pain", "swelling_redness_warmth", "cannot_bear_weight", "deformity",
    "numbness_tingling_weakness", "severe_pain_after_injury",
}

def write_kb(tmp_path: Path, **files: str | None) -> Path:
    """A pack of `files` (name -> YAML), with the smallest domain unless `domain` is given (None: none)."""
    for name, text in {"domain": DOMAIN, **files}.items():
        if text is not None:
            (tmp_path / f"{name}.yaml").write_text(text)
    return tmp_path


def only_problem(tmp_path: Path):
    problems = check_knowledge(tmp_path)
    assert len(problems) == 1, problems
    return problems[0]


def test_bundled_knowledge_is_clean_and_complete():
    kb = load_knowledge()
    ids = {t.id for t in kb.topics} | {loc.id for loc in kb.locations} | {w.id for w in kb.warnings}
    assert REQUIRED_IDS <= ids
    assert check_knowledge(DEFAULT_DIR) == []
    assert all(t.source and t.summary and t.more for t in kb.topics)
    assert {w.urgency for w in kb.warnings} <= {"urgent", "soon"}


def test_bundled_explanations_are_hedged():
    kb = load_knowledge()
    for topic in kb.topics:
        assert any(word in topic.summary for word in (" can ", " may ", " often ", " usually ")), topic.id


def test_a_clean_custom_pack_loads(tmp_path):
    kb = load_knowledge(write_kb(tmp_path, locations=LOCATION, topics=TOPIC))
    assert kb.topic("sample").locations == ("knee",)


def test_bad_yaml_names_file_and_line(tmp_path):
    write_kb(tmp_path, locations=LOCATION, topics=TOPIC.replace("title: Sample", "title: [unclosed"))
    problem = only_problem(tmp_path)
    assert problem.file == "topics.yaml" and problem.line >= 4 and "not valid YAML" in problem.message


def test_python_tags_are_refused_not_constructed(tmp_path):
    write_kb(tmp_path, locations=LOCATION, topics=TOPIC.replace("title: Sample", "title: !!python/object/apply:os.system ['echo hacked']"))
    problems = check_knowledge(tmp_path)
    assert any("not allowed" in p.message and p.line == 4 and p.field == "topics[0].title" for p in problems), problems


def test_unknown_field(tmp_path):
    write_kb(tmp_path, locations=LOCATION, topics=TOPIC + "    colour: blue\n")
    problem = only_problem(tmp_path)
    assert (problem.field, problem.line) == ("topics[sample].colour", 10)
    assert "unknown field" in problem.message


def test_missing_field(tmp_path):
    write_kb(tmp_path, locations=LOCATION, topics=TOPIC.replace("    more: More about it.\n", ""))
    problem = only_problem(tmp_path)
    assert problem.field == "topics[sample].more" and "missing" in problem.message and problem.line == 2


def test_wrong_type(tmp_path):
    write_kb(tmp_path, locations=LOCATION, topics=TOPIC.replace("phrases: [sample]", "phrases: sample"))
    problem = only_problem(tmp_path)
    assert (problem.field, problem.line) == ("topics[sample].phrases", 7)


def test_empty_phrase(tmp_path):
    write_kb(tmp_path, locations=LOCATION, topics=TOPIC.replace("phrases: [sample]", "phrases: [sample, '  ...  ']"))
    problem = only_problem(tmp_path)
    assert "empty phrase" in problem.message and problem.line == 7


def test_duplicate_ids_across_files(tmp_path):
    write_kb(tmp_path, locations=LOCATION, topics=TOPIC, more=TOPIC)
    problem = only_problem(tmp_path)
    assert problem.file == "topics.yaml" and "duplicate id 'sample'" in problem.message and "more.yaml:2" in problem.message


def test_dangling_reference(tmp_path):
    write_kb(tmp_path, locations=LOCATION, topics=TOPIC.replace("locations: [knee]", "locations: [knee, elbow]"))
    problem = only_problem(tmp_path)
    assert "'elbow' is not the id of any location" in problem.message and problem.line == 8


def test_missing_id_and_bad_enum(tmp_path):
    write_kb(tmp_path, locations=LOCATION, topics=TOPIC.replace("  - id: sample\n    kind: condition", "  - kind: rumour"))
    fields = {p.field for p in check_knowledge(tmp_path)}
    assert {"topics.id", "topics.kind"} <= fields


def test_unknown_section_and_empty_file(tmp_path):
    write_kb(tmp_path, locations=LOCATION, extra="recipes: []\n", empty="")
    messages = sorted(str(p) for p in check_knowledge(tmp_path))
    assert any("empty.yaml:1" in m and "empty" in m for m in messages)
    assert any("extra.yaml:1: recipes: unknown section" in m for m in messages)


def test_huge_file_is_refused_without_parsing(tmp_path):
    write_kb(tmp_path, locations=LOCATION + "#" + "x" * 10_000_000 + "\n")
    assert "larger than" in only_problem(tmp_path).message


def test_missing_directory_raises_knowledge_error(tmp_path):
    with pytest.raises(KnowledgeError, match="no such knowledge directory"):
        load_knowledge(tmp_path / "nowhere")


# --- the domain section: what the pack covers and says, checked like every entry ----------------

def test_a_pack_without_a_domain_is_refused(tmp_path):
    problem = only_problem(write_kb(tmp_path, domain=None, locations=LOCATION))
    assert problem.field == "domain" and "missing section" in problem.message


def test_domain_fields_are_checked_with_their_lines(tmp_path):
    write_kb(tmp_path, locations=LOCATION, domain=DOMAIN.replace("  greeting: I explain knee pain.\n", ""))
    problem = only_problem(tmp_path)
    assert (problem.file, problem.line, problem.field) == ("domain.yaml", 2, "domain.greeting")
    assert "missing required field" in problem.message


def test_answers_must_keep_their_placeholders(tmp_path):
    write_kb(tmp_path, locations=LOCATION, domain=DOMAIN.replace("Call {number} now.", "Call someone."))
    problem = only_problem(tmp_path)
    assert (problem.line, problem.field) == (17, "domain.emergency_answer") and "{number}" in problem.message


def test_what_to_call_if_urgent_is_optional_and_keeps_its_number(tmp_path):
    assert load_knowledge(write_kb(tmp_path, locations=LOCATION)).domain.if_urgent == ""
    with_hint = "  out_of_scope: That is not about the knee.\n  if_urgent: If it is urgent, call for help.\n"
    write_kb(tmp_path, locations=LOCATION, domain=DOMAIN.replace("  out_of_scope: That is not about the knee.\n", with_hint))
    problem = only_problem(tmp_path)
    assert problem.field == "domain.if_urgent" and "{number}" in problem.message


def test_nested_entries_name_their_place(tmp_path):
    write_kb(tmp_path, locations=LOCATION, domain=DOMAIN.replace("      kind: emergency", "      kind: rumour")
             .replace("      question: Where in the knee?", "      question: Where in the knee?\n      colour: red"))
    problems = {(p.line, p.field): p.message for p in check_knowledge(tmp_path)}
    assert "unknown field" in problems[(16, "domain.follow_ups[home].colour")]
    assert "must be one of emergency, crisis" in problems[(23, "domain.emergencies[chest_pain].kind")]


def test_an_emergencys_frames_must_hold_the_phrase(tmp_path):
    write_kb(tmp_path, locations=LOCATION, domain=DOMAIN + '      frames: ["i have {}", "help me"]\n')
    problem = only_problem(tmp_path)
    assert (problem.line, problem.field) == (24, "domain.emergencies[chest_pain].frames")
    assert "'help me' must contain {}" in problem.message
    write_kb(tmp_path, locations=LOCATION, domain=DOMAIN + '      frames: ["i have {}"]\n')
    assert load_knowledge(tmp_path).domain.emergencies[0].frames == ("i have {}",)


def test_home_location_must_be_a_location(tmp_path):
    write_kb(tmp_path, locations=LOCATION, domain=DOMAIN.replace("home_location: knee", "home_location: elbow"))
    problem = only_problem(tmp_path)
    assert (problem.line, problem.field) == (3, "home_location") and "'elbow' is not the id of any location" in problem.message


def test_domain_given_twice(tmp_path):
    write_kb(tmp_path, locations=LOCATION, again=DOMAIN)
    problem = only_problem(tmp_path)
    assert problem.field == "domain" and "given twice" in problem.message


def test_a_yaml_tag_in_the_domain_is_refused(tmp_path):
    write_kb(tmp_path, locations=LOCATION, domain=DOMAIN.replace("name: knee", "name: !!python/name:os.system"))
    problem = only_problem(tmp_path)
    assert "not allowed" in problem.message and problem.line == 2 and problem.field == "domain.name"


SPEECH = """speech:
  frames: ["{} in my knee"]
  templates:
    - {weight: 2, template: "my {part} {feeling}"}
  slots:
    part: [knee, leg]
    feeling: [hurts, "is {how} sore"]
    how: ["", very]
"""


def test_a_speech_section_loads_into_sentence_templates(tmp_path):
    kb = load_knowledge(write_kb(tmp_path, locations=LOCATION, speech=SPEECH))
    assert kb.speech.templates[0].weight == 2.0 and kb.speech.slots["how"] == ("", "very")
    (tmp_path / "none").mkdir()
    assert load_knowledge(write_kb(tmp_path / "none", locations=LOCATION)).speech.templates == ()  # optional


def test_speech_slots_must_be_defined_and_frames_must_hold_the_phrase(tmp_path):
    write_kb(tmp_path, locations=LOCATION, speech=SPEECH.replace("how: [\"\", very]", "what: [x]")
             .replace('"{} in my knee"', '"in my knee"'))
    problems = {(p.line, p.field): p.message for p in check_knowledge(tmp_path)}
    assert "'{how}' is used but not defined" in problems[(6, "speech.slots")]
    assert "has no {}" in problems[(2, "speech.frames")]


def test_speech_phones_must_be_cmu_phones(tmp_path):
    write_kb(tmp_path, locations=LOCATION, speech=SPEECH + "  phones:\n    bursa: B ER S AH\n    Knee: N EE\n")
    problem = only_problem(tmp_path)
    assert problem.field == "speech.phones" and problem.line == 10 and "Knee: 'N EE'" in problem.message


def test_speech_weights_are_positive_numbers(tmp_path):
    write_kb(tmp_path, locations=LOCATION, speech=SPEECH.replace("weight: 2", "weight: lots"))
    problem = only_problem(tmp_path)
    assert problem.field == "speech.templates[0].weight" and problem.line == 4 and "positive number" in problem.message


def test_a_yes_or_no_field_must_be_true_or_false(tmp_path):
    warning = ("warnings:\n  - id: lasting\n    title: Lasting pain\n    urgency: soon\n    advice: See a doctor.\n"
               "    phrases: [for weeks]\n    source: Test\n    on_its_own: sometimes\n")
    write_kb(tmp_path, locations=LOCATION, warnings=warning)
    problem = only_problem(tmp_path)
    assert (problem.file, problem.line, problem.field) == ("warnings.yaml", 8, "warnings[lasting].on_its_own")
    assert "must be true or false" in problem.message
