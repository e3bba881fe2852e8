"""Asking a question: the one use case behind the bot, the API and the console's "Thử hỏi"."""
