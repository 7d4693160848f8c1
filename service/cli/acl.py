"""`wijkwacht acl plan|apply`: the Kafka ACLs Wijkwacht's principals need, printed or applied."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from service.cli.common import fail, load_settings
from service.kafka.acl import bindings
from service.kafka.aclcommand import apply_bindings
from service.kafka.clientfile import client_file_from_settings, local_client_file
from service.kafka.errors import KafkaAclError
from service.settings import ADMIN_PRINCIPAL

app = typer.Typer(help="Kafka ACLs: each principal may do only its own job.", no_args_is_help=True)


@app.command()
def plan() -> None:
    """Print every ACL binding of this namespace and its field systems, one a line."""
    settings = load_settings()
    for binding in bindings(settings.namespace, settings.field_systems):
        typer.echo(binding.line())


@app.command()
def apply(
    command_config: Annotated[
        Path | None,
        typer.Option(
            help="Kafka client file of an operator allowed to change ACLs [default: the local "
            "broker's admin.properties, or one made from WIJKWACHT_KAFKA_*]"
        ),
    ] = None,
) -> None:
    """Create the missing bindings on the cluster (existing ones are left), as the admin."""
    settings = load_settings()
    java = shutil.which("java")
    if java is None:
        fail("java not found on PATH: AclCommand runs from the Kafka jars (make kafka)")
    with tempfile.TemporaryDirectory() as scratch:
        if command_config is None and settings.uses_local_broker:
            command_config = local_client_file(settings.data_dir, ADMIN_PRINCIPAL)
        elif command_config is None:
            command_config = Path(scratch) / "admin.properties"
            try:
                client_file_from_settings(settings, command_config)
            except ValueError as exc:
                fail(f"{exc}; give --command-config")
        if not command_config.is_file():
            fail(f"{command_config} does not exist (start the broker with --secure first?)")
        wanted = bindings(settings.namespace, settings.field_systems)
        try:
            created, kept = apply_bindings(
                java, settings.kafka_jars_dir, settings.bootstrap, command_config, wanted
            )
        except KafkaAclError as exc:
            fail(str(exc), 1)
    for binding in created:
        typer.echo(f"created  {binding.line()}")
    typer.echo(f"{len(created)} created, {len(kept)} already there")
