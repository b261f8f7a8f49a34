"""Writes: learners' problem reports on questions, their triage, key fixes and rescoring."""

from __future__ import annotations
