"""Domain and service layer shared by every front (bot, API, CLI).

Never imports aiogram or FastAPI.
"""
