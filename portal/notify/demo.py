"""Demo data for texts: the demo volunteer and champion have mobiles (Ofcom's drama numbers,
which nobody holds), and one text Notify refused shows on the champion's failed-texts page."""

from __future__ import annotations

from sqlalchemy import select

from ..audit import utcnow
from ..demo import demo_user
from ..extensions import db
from .models import TextContact, TextMessage

DEMO_MOBILES = {"volunteer": "+447700900461", "champion": "+447700900462"}
REFUSED_KEY = "demo:refused"


def build_demo_texts() -> None:
    """Idempotent: running it again leaves the same mobiles and the one refused text."""
    for role, mobile in DEMO_MOBILES.items():
        user = demo_user(role)
        if user is None:
            continue
        contact = db.session.scalar(select(TextContact).where(TextContact.user_id == user.id))
        if contact is None:
            db.session.add(TextContact(user_id=user.id, mobile=mobile, updated_at=utcnow()))
        else:
            contact.mobile = mobile
    volunteer = demo_user("volunteer")
    number = "+447700900463"
    exists = db.session.scalar(
        select(TextMessage.id).where(
            TextMessage.to_number == number, TextMessage.dedupe_key == REFUSED_KEY
        )
    )
    if exists is None and volunteer is not None:
        db.session.add(
            TextMessage(
                kind="offer_made",
                to_number=number,
                body=(
                    "Can you help on Thursday evening? Reply YES 1234 to go, NO 1234 if you can't."
                ),
                user_id=volunteer.id,
                dedupe_key=REFUSED_KEY,
                attempts=1,
                status="refused",
                last_error="400 phone_number Not a UK mobile number",
            )
        )
    db.session.flush()
