"""The admin's page about the postcode directory."""

from __future__ import annotations

from ..web import render, role_required
from . import bp
from .places import about_km, directory_status


@bp.route("/admin/postcodes")
@role_required("admin")
def directory():
    return render("geography/directory.html", status=directory_status())


# "About 2.3 km" in any template (meeting search, printed list, the client's picker).
bp.add_app_template_global(about_km, "about_km")
