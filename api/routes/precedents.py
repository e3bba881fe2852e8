"""Precedent proposals: propose (supervisor), list pending, approve or reject (admin)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["precedents"])
