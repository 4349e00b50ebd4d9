"""Tables of this domain (filled in by the issue that builds it)."""
