"""The bundled knowledge pack, loaded and compiled once for the tests that use it."""
from knowledge.loader import load_knowledge
from knowledge.matcher import Matcher
from knowledge.model import Match, Reply
from knowledge.reply import compose_reply

KB = load_knowledge()
MATCHER = Matcher(KB)


def match(text: str) -> Match:
    return MATCHER.match(text)


def reply_to(text: str) -> Reply:
    return compose_reply(MATCHER.match(text), KB)
