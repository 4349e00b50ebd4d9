"""What other domains call in geography (see `places` and `loader`)."""

from .loader import (
    DirectoryError,
    load_directory,
    on_directory_loaded,
    release_of,
    tidy_postcode,
)
from .places import (
    Place,
    about_km,
    check_district,
    directory_loaded,
    directory_status,
    distances_km,
    district_points,
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
    "find_place",
    "load_directory",
    "on_directory_loaded",
    "point_for_postcode",
    "postcode_points",
    "release_of",
    "tidy_district",
    "tidy_postcode",
]
