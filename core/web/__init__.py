"""Web console sign-in: one-time login codes delivered by the bot, and server-side sessions."""
