"""Entry point of the `troly` command; each sub-command group lives in its own module."""

from __future__ import annotations

import typer

from cli import audit, backup, kb, models, run, search, users

app = typer.Typer(no_args_is_help=True, help="Trợ lý Cơ sở — command line.")
app.add_typer(kb.app, name="kb", help="Manage the knowledge base.")
app.add_typer(models.app, name="models", help="Install and inspect embedding models.")
app.add_typer(users.app, name="users", help="Units, invitations and API tokens.")
app.add_typer(audit.app, name="audit", help="Audit log.")
search.register(app)  # search, eval, doctor
run.register(app)  # run, migrate
backup.register(app)  # backup, restore

if __name__ == "__main__":
    app()
