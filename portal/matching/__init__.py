"""Matching: which volunteers may escort a client, how well they fit, and batch proposals.

Plain Python with no Flask or database: facts in, decisions with reasons out.
"""

from portal.matching.batch import BatchResult, Pair, assign_batch, greedy_assign
from portal.matching.eligibility import CHECKS, Reason, check_eligibility, is_eligible
from portal.matching.model import (
    DEFAULT_WEIGHTS,
    LONDON,
    NO_EXPIRY,
    SAFEGUARDING_ITEMS,
    DateRange,
    RequestFacts,
    RequiredCheck,
    Rules,
    Slot,
    VolunteerFacts,
    WeeklyWindow,
)
from portal.matching.pool import VolunteerPool
from portal.matching.scoring import Candidate, Excluded, Ranking, Score, ScorePart, rank, score
from portal.matching.solver import AssignmentProblem, Solution, solve_exact, solve_greedy

__all__ = [
    "CHECKS",
    "DEFAULT_WEIGHTS",
    "LONDON",
    "NO_EXPIRY",
    "SAFEGUARDING_ITEMS",
    "AssignmentProblem",
    "BatchResult",
    "Candidate",
    "DateRange",
    "Excluded",
    "Pair",
    "Ranking",
    "Reason",
    "RequestFacts",
    "RequiredCheck",
    "Rules",
    "Score",
    "ScorePart",
    "Slot",
    "Solution",
    "VolunteerFacts",
    "VolunteerPool",
    "WeeklyWindow",
    "assign_batch",
    "check_eligibility",
    "greedy_assign",
    "is_eligible",
    "rank",
    "score",
    "solve_exact",
    "solve_greedy",
]
