"""The `troly` command line: admin tasks, evaluation, and starting the bot and API."""
