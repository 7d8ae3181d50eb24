"""The knee wording the dialogue uses until the knowledge pack carries its own domain."""
from __future__ import annotations

from dataclasses import dataclass

from voice.conversation.follow_up import HOME, WHERE, WORSE, FollowUp


@dataclass(frozen=True)
class StandInDomain:
    name: str = "knee"
    home_location: str = "knee"
    greeting: str = "I explain how knee problems can cause pain in the leg: tell me where it hurts and what it feels like."
    example: str = "My knee hurts when I climb stairs."
    follow_ups: tuple[FollowUp, ...] = (
        # The knee question offers the places the knowledge base tells apart (kneecap pain, tendon, bursa).
        FollowUp(HOME, "Is the pain in front of the knee, below the kneecap, or on the inner side?", anchor="of my knee"),
        FollowUp(WHERE, "Where in your leg do you feel it?"),
        FollowUp(WORSE, "What makes it worse: walking, stairs, kneeling, or sport?"),
    )
    safety_question: str = ("One more question: is your leg badly swollen, hot or red, out of shape, numb or weak, "
                            "too painful to stand on, or painful for weeks, or did it start with an injury?")
    emergency_answer: str = "Please call {number} now."
    crisis_answer: str = "Please call {number} now, or talk to someone you trust."
    emergencies: tuple = ()
