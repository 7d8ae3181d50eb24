"""The smallest clean knowledge pack, as YAML texts, for tests that build packs of their own."""

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
