"""Routes of the reports (filled in by the reports issue).

BEFORE WRITING: read /work/main/CONTRIBUTING.md — the house rules.
"""
