"""One Router per feature; bot.main assembles them in a fixed order."""
