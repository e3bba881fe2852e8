"""Telegram front (aiogram 3): thin handlers over the core services; no business logic here."""
