"""Routes of the meetings directory (filled in by the meetings issue)."""
