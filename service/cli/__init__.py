"""The `wijkwacht` command line: one subcommand per process, plus the offline tools.

Each command lives in the module of its concern (processes, store, tools, simulate); this
module only names them. Every command builds its parts through the composition root
(service/bootstrap.py).
"""

from __future__ import annotations

import typer

from service.cli import acl, processes, simulate, store, tools

app = typer.Typer(
    name="wijkwacht",
    help="Wijkwacht: incident ingestion for a municipality's public-safety programme.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(processes.broker)
app.command()(processes.worker)
app.command()(processes.materialise)
app.command()(processes.api)
app.command()(processes.run)
app.command()(store.migrate)
app.command()(store.replay)
app.command()(store.reconcile)
app.command("close-year")(store.close_year)
app.command()(store.purge)
app.command()(store.report)
app.command()(tools.validate)
app.command()(tools.schema)
app.command()(simulate.simulate)
app.command()(tools.watch)
app.command("new-key")(tools.new_key)
app.add_typer(acl.app, name="acl")


def main() -> None:
    app()
