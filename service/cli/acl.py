"""`wijkwacht acl plan|apply`: the Kafka ACLs Wijkwacht's principals need, printed or applied
with the topics they govern."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from service.cli.common import fail, wiring
from service.kafka.acl import bindings
from service.kafka.acladmin import apply_bindings
from service.kafka.clientfile import client_file_config
from service.kafka.errors import KafkaAclError, KafkaSignInError, TopicError
from service.kafka.topics import ensure_topics
from service.settings import ADMIN_PRINCIPAL

app = typer.Typer(help="Kafka ACLs: each principal may do only its own job.", no_args_is_help=True)


@app.command()
def plan() -> None:
    """Print every ACL binding of this namespace and its field systems, one a line."""
    settings = wiring().settings
    for binding in bindings(settings.namespace, settings.field_systems):
        typer.echo(binding.line())


@app.command()
def apply(
    command_config: Annotated[
        Path | None,
        typer.Option(
            help="Kafka client file of an operator allowed to create topics and ACLs "
            "[default: admin.properties of WIJKWACHT_KAFKA_CLIENTS_DIR or of the local "
            "broker, else the WIJKWACHT_KAFKA_* settings]"
        ),
    ] = None,
) -> None:
    """Create the missing topics and ACL bindings on the cluster (what exists is left), as
    an operator: nobody else may create topics."""
    wired = wiring()
    settings = wired.settings
    try:
        if command_config is not None:
            if not command_config.is_file():
                fail(f"--command-config: {command_config} does not exist")
            kafka = client_file_config(settings, command_config)
        else:
            kafka = wired.kafka(ADMIN_PRINCIPAL)
    except (KafkaSignInError, ValueError) as exc:
        fail(str(exc).splitlines()[0])
    wanted = bindings(settings.namespace, settings.field_systems)
    try:
        asyncio.run(ensure_topics(kafka))
        created, kept = asyncio.run(apply_bindings(kafka.client_options(), wanted))
    except (KafkaAclError, TopicError) as exc:
        fail(str(exc), 1)
    for binding in created:
        typer.echo(f"created  {binding.line()}")
    typer.echo(f"{len(created)} created, {len(kept)} already there")
