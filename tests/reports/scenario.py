"""A small history whose report numbers were worked out by hand (see each test's comments).

The period is Monday 2 March to Sunday 22 March 2026: three weeks.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from ..factories import (
    make_client,
    make_fama_session,
    make_meeting,
    make_request_history,
    make_user,
    make_vetted_volunteer,
)

START, END = date(2026, 3, 2), date(2026, 3, 22)
W1, W2, W3 = date(2026, 3, 4), date(2026, 3, 11), date(2026, 3, 18)


def commitment(day: date) -> datetime:
    return datetime.combine(day, time(19, 30), tzinfo=UTC)


def build() -> dict:
    keyworker = make_user(roles=("keyworker",))
    aa = make_meeting("AA", area="Town centre", start_time=time(19, 30), end_time=time(20, 30))
    smart = make_meeting("SMART", area="Riverside", start_time=time(18), end_time=time(19))
    v1, v2 = make_vetted_volunteer(), make_vetted_volunteer()

    def client(**values):
        return make_client(keyworker, **values)

    # FAMA: A, B, C, D, F, H and I start in the period; E started before it.
    a, b, c = (
        client(fama_outcome="engaged"),
        client(fama_outcome="engaged"),
        client(fama_outcome="engaged"),
    )
    d, e, f, h, i = client(), client(fama_outcome="engaged"), client(), client(), client()
    s = {}
    for person, s1 in ((a, 2), (b, 2), (c, 2), (d, 9), (h, 9), (f, 16), (i, 20)):
        make_fama_session(person, 1, date(2026, 3, s1))
    make_fama_session(e, 1, date(2026, 3, 1))
    for key, person, held, day, meeting in (
        ("a", a, 3, W1, aa),
        ("b", b, 3, W1, aa),
        ("c", c, 3, W1, aa),
        ("d", d, 10, W2, aa),
        ("h", h, 10, W2, aa),
        ("e", e, 17, W3, aa),
        ("f", f, 17, W3, smart),
    ):
        s[key] = make_fama_session(
            person,
            2,
            date(2026, 3, held),
            commitment_meeting_id=meeting.id,
            commitment_at=commitment(day),
            wants_company=True,
        )
    # F commits again (to a meeting after the period) before any session three.
    make_fama_session(
        f,
        2,
        date(2026, 3, 20),
        commitment_meeting_id=aa.id,
        commitment_at=commitment(date(2026, 3, 25)),
    )
    make_fama_session(a, 3, date(2026, 3, 6), attended=True)
    make_fama_session(b, 3, date(2026, 3, 6), attended=False)
    make_fama_session(c, 3, date(2026, 3, 6), attended=True)
    make_fama_session(d, 3, date(2026, 3, 12), attended=False)
    make_fama_session(h, 3, date(2026, 3, 13), attended=True)

    # Requests: nine in the period, two outside it.
    others = [client() for _ in range(6)]
    make_request_history(
        a, aa, W1, "completed", "attended", accepted_after_hours=10, session=s["a"], volunteer=v1
    )
    make_request_history(
        b,
        aa,
        W1,
        "completed",
        "client_did_not_come",
        accepted_after_hours=20,
        session=s["b"],
        volunteer=v1,
    )
    make_request_history(c, aa, W1, "unfilled", session=s["c"])
    make_request_history(
        others[0],
        smart,
        W2,
        "completed",
        "volunteer_could_not_go",
        accepted_after_hours=30,
        volunteer=v2,
    )
    make_request_history(others[1], aa, W2, "cancelled", accepted_after_hours=40)
    make_request_history(others[2], aa, W2, "cancelled")
    make_request_history(
        others[3], smart, W3, "completed", "attended", accepted_after_hours=50, volunteer=v2
    )
    make_request_history(others[4], aa, W3, "accepted", accepted_after_hours=6, volunteer=v2)
    make_request_history(
        e, aa, W3, "completed", "attended", accepted_after_hours=4, session=s["e"], volunteer=v1
    )
    make_request_history(
        others[5],
        aa,
        date(2026, 3, 25),
        "completed",
        "attended",
        accepted_after_hours=1,
        volunteer=v1,
    )
    make_request_history(others[5], aa, date(2026, 2, 25), "unfilled")
    return {"aa": aa, "smart": smart, "v1": v1, "v2": v2, "keyworker": keyworker}
