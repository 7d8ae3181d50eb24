"""The smallest clean knowledge pack, as YAML texts, for tests that build packs of their own
(DOMAIN is the section every pack needs; LOCATION and TOPIC the smallest entries)."""

LOCATION = """locations:
  - id: knee
    title: the knee
    phrases: [knee]
    summary: Knee pain.
    source: Intro
"""
TOPIC = """topics:
  - id: sample
    kind: condition
    title: Sample
    summary: Something can hurt.
    more: More about it.
    phrases: [sample]
    locations: [knee]
    source: Intro
"""
DOMAIN = """domain:
  name: knee
  home_location: knee
  greeting: I explain knee pain.
  example: My knee hurts.
  second_example: My knee aches.
  scope: I can explain knee pain.
  out_of_scope: That is not about the knee.
  no_match: I could not match that.
  notice: This is not a diagnosis.
  area_words: [leg]
  other_body_parts: [elbow]
  follow_ups:
    - id: home
      question: Where in the knee?
  safety_question: Is it very bad?
  emergency_answer: Call {number} now.
  crisis_answer: Please call {number} now.
  crisis_line_answer: Or call {crisis_line}.
  emergencies:
    - id: chest_pain
      kind: emergency
      phrases: [chest pain]
"""
