"""Statistics of the queue and of questions (supervisors: their units; admins: all)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/stats", tags=["stats"])
