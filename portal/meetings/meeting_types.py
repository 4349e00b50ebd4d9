"""Meeting Guide type codes in plain English, grouped the way a newcomer thinks about them.

The codes come from the Meeting Guide specification (shared/reference/meeting-guide-types.json);
the labels are ours, in UK English. A code not listed here is kept on the meeting (so a feed
round-trips) but never shown. `UK` means Ukrainian, not United Kingdom.
"""

from __future__ import annotations

# Who may go: shown first, with a sentence a nervous newcomer can act on.
OPEN_CLOSED = {
    "O": "Open",
    "C": "Closed",
}
OPEN_CLOSED_EXPLAINED = {
    "O": "Open meeting: anyone can go, including family, friends and professionals.",
    "C": "Closed meeting: only for people who want to do something about their own "
    "drinking or drug use.",
}

AUDIENCE = {
    "W": "Women only",
    "M": "Men only",
    "LGBTQ": "LGBTQ+",
    "G": "Gay",
    "L": "Lesbian",
    "BI": "Bisexual",
    "T": "Transgender",
    "NB": "Non-binary",
    "Y": "Young people",
    "SEN": "Older people",
    "BE": "Newcomer-friendly",
    "P": "Professionals",
    "POC": "People of colour",
    "N": "Native American",
    "NDG": "Indigenous people",
    "DD": "Dual diagnosis",
    "A": "Secular (no religious content)",
    "AL-AN": "Held alongside an Al-Anon meeting",
    "AL": "Held alongside an Alateen meeting",
}

FORMAT = {
    "D": "Discussion",
    "SP": "Speaker",
    "ST": "Step study",
    "TR": "Traditions study",
    "12x12": "Twelve Steps and Twelve Traditions study",
    "B": "Big Book study",
    "LIT": "Literature study",
    "LS": "Living Sober study",
    "ABSI": "As Bill Sees It study",
    "DR": "Daily Reflections",
    "GR": "Grapevine",
    "11": "Step 11 meditation",
    "MED": "Meditation",
    "CAN": "Candlelight",
    "BRK": "Breakfast",
    "H": "Birthdays celebrated",
    "OUT": "Outdoors",
    "XT": "Cross-talk allowed",
    "DB": "Online collection (digital basket)",
    "POA": "Proof of attendance available",
}

ACCESS = {
    "X": "Wheelchair access",
    "XB": "Wheelchair-accessible toilet",
    "ASL": "American Sign Language",
    "BA": "Childcare available",
    "CF": "Children welcome",
    "FF": "Fragrance-free",
    "SM": "Smoking allowed",
}

LANGUAGES = {
    "EN": "English",
    "AF": "Afrikaans",
    "AM": "Amharic",
    "AR": "Arabic",
    "BG": "Bulgarian",
    "HR": "Croatian",
    "DA": "Danish",
    "NL": "Dutch",
    "FI": "Finnish",
    "FR": "French",
    "KA": "Georgian",
    "DE": "German",
    "EL": "Greek",
    "HE": "Hebrew",
    "HI": "Hindi",
    "HU": "Hungarian",
    "IS": "Icelandic",
    "ITA": "Italian",
    "JA": "Japanese",
    "KOR": "Korean",
    "LT": "Lithuanian",
    "ML": "Malayalam",
    "MT": "Maltese",
    "NE": "Nepali",
    "NO": "Norwegian",
    "FA": "Persian (Farsi)",
    "POL": "Polish",
    "POR": "Portuguese",
    "PUN": "Punjabi",
    "RUS": "Russian",
    "SK": "Slovak",
    "SL": "Slovenian",
    "S": "Spanish",
    "SV": "Swedish",
    "TL": "Tagalog",
    "TH": "Thai",
    "TUR": "Turkish",
    "UK": "Ukrainian",
}

# Codes about the place rather than the meeting: attendance shows them in its own words.
STATUS = {
    "TC": "Venue temporarily closed",
    "ONL": "Online",
}

GROUPS = {
    "Who can go": OPEN_CLOSED,
    "Who it is for": AUDIENCE,
    "What happens": FORMAT,
    "Access and facilities": ACCESS,
    "Language": LANGUAGES,
}

LABELS: dict[str, str] = {
    code: label for group in (*GROUPS.values(), STATUS) for code, label in group.items()
}
KNOWN_CODES = frozenset(LABELS)

# The features a search can ask for; each matches any one of its codes.
FEATURES: dict[str, tuple[str, tuple[str, ...]]] = {
    "open": ("Open", ("O",)),
    "women": ("Women only", ("W",)),
    "men": ("Men only", ("M",)),
    "lgbtq": ("LGBTQ+", ("LGBTQ", "G", "L", "BI", "T", "NB")),
    "wheelchair": ("Wheelchair access", ("X",)),
    "newcomer": ("Newcomer-friendly", ("BE",)),
}


def labels_for(
    codes: list[str] | tuple[str, ...], group: dict[str, str] | None = None
) -> list[str]:
    """Plain-English labels for the known codes, in the order of the group (or of all groups)."""
    present = set(codes)
    if group is not None:
        return [label for code, label in group.items() if code in present]
    return [
        label
        for name, members in GROUPS.items()
        if name != "Who can go"
        for code, label in members.items()
        if code in present
    ]


def grouped_labels(codes: list[str] | tuple[str, ...]) -> list[tuple[str, list[str]]]:
    """(heading, labels) for each group the meeting has a known code in; unknown codes vanish."""
    found = []
    for heading, members in GROUPS.items():
        labels = labels_for(codes, members)
        if labels:
            found.append((heading, labels))
    return found
