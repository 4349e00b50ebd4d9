from flask import jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..web import public
from . import bp


@bp.route("/healthz")
@public
def healthz():
    """200 while the database answers, 503 otherwise; no session needed."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="database unavailable"), 503
    return jsonify(status="ok")
