from __future__ import annotations

import pytest

from portal.geography.loader import load_directory

from .files import write_csv


@pytest.fixture
def directory(app, tmp_path):
    """The small test directory, loaded."""
    path = write_csv(tmp_path / "NSPL_FEB_2024_UK.csv")
    with app.app_context():
        load_directory(path)
    return path
