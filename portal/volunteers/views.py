"""Routes (filled in by the issue that builds this domain)."""
