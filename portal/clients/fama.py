"""The words of the FAMA sessions' choices, in our own plain English (codes are what we store)."""

from __future__ import annotations

from ..meetings.models import FELLOWSHIP_KINDS
from .handout_text import STANDARD

SESSION_NAMES = {
    1: "Session 1: introducing mutual aid",
    2: "Session 2: choosing a meeting",
    3: "Session 3: how it went",
}

PAST_EXPERIENCE = {
    "none": "None",
    "some": "Some",
    "a_lot": "A lot",
}

# The hand-outs of the library (portal/clients/handouts.py), numbered as sessions record them.
HANDOUTS = {key: f"{key}. {handout['title']}" for key, handout in STANDARD.items()}

LITERACY_SUPPORT = {
    "offered": "Offered to go through the hand-outs together",
    "referred": "Referred for reading and writing support",
    "not_needed": "Not needed",
    "declined": "Offered, and the client said no",
}

SESSION1_GOALS = {
    "read_handouts": "Read the hand-outs before the next session",
    "think_meeting": "Think about which meeting to try",
    "attend_this_week": "Go to a meeting this week (already knows mutual aid)",
    "keep_journal": "Write about any meeting in the journal",
}

GOAL_MET = {
    "yes": "Yes",
    "partly": "Partly",
    "no": "No",
    "no_goal": "No goal was set",
}

# The nine worries people most often have about going, in our own words, plus "other".
WORRIES = {
    "know_each_other": "Everyone there seems to know each other",
    "all_happy": "They all look happy, and I am not",
    "groups_hard": "I do not get on well in groups",
    "introduce_myself": "I do not know how to introduce myself",
    "god_talk": "There is too much talk of God",
    "not_that_bad": "I am not as bad as the people there",
    "not_like_me": "The people there are not like me",
    "how_to_join": "I do not know how to join",
    "for_real": "I am not sure the people there are genuine",
    "other": "Something else",
}

GROUP_TYPES = {**FELLOWSHIP_KINDS, "not_sure": "Not sure yet"}

ENCOURAGEMENT = {
    "another_meeting": "Try a different meeting this week",
    "try_both": "Try both a 12-step and a SMART Recovery meeting, to compare",
}

PARTICIPATION = {
    "home_group": "Choose a home group to go to regularly",
    "swap_numbers": "Swap phone numbers with people at the group",
    "sponsorship": "Talk to people about sponsorship",
    "online_community": "Join the fellowship's online community",
}

YES_NO = {"yes": "Yes", "no": "No"}


def labels(mapping: dict[str, str], codes: list[str] | None) -> list[str]:
    """The labels of the stored codes, in the mapping's order, skipping unknown ones."""
    chosen = set(codes or [])
    return [label for code, label in mapping.items() if code in chosen]


def handouts_given(codes: list[str] | None, versions: dict | None) -> list[tuple[str, str]]:
    """(code, words) for each hand-out a session gave, with the version of its wording when
    one was kept: ("3", "3. Going to meetings (version 2)")."""
    chosen, versions = set(codes or []), versions or {}
    return [
        (code, f"{label} (version {versions[code]})" if code in versions else label)
        for code, label in HANDOUTS.items()
        if code in chosen
    ]
