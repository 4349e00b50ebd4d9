"""What other domains call in geography (see `places` and `loader`)."""

from .loader import DirectoryError, load_directory, release_of, tidy_postcode
from .places import (
    Place,
    about_km,
    check_district,
    directory_loaded,
    directory_status,
    distances_km,
    district_points,
    fill_meeting_points,
    find_place,
    point_for_postcode,
    postcode_points,
    tidy_district,
)

__all__ = [
    "DirectoryError",
    "Place",
    "about_km",
    "check_district",
    "directory_loaded",
    "directory_status",
    "distances_km",
    "district_points",
    "fill_meeting_points",
    "find_place",
    "load_directory",
    "point_for_postcode",
    "postcode_points",
    "release_of",
    "tidy_district",
    "tidy_postcode",
]
