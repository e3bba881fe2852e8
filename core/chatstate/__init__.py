"""Persistent conversation state of chat fronts (the bot's FSM when no Redis is configured)."""
