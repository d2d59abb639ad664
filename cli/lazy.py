"""Commands registered by name and imported only when run: `--help` imports none of them.

Each area of the CLI (its module pulls in SQLAlchemy, pandas, Great Expectations or Prefect)
is named with the dotted path of its Typer app or command function and a one-line help. The
root group imports a module only when its command is invoked (or its own `--help` shown); the
root's `--help` lists the names with the registered help and imports nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperGroup


@dataclass(frozen=True)
class Lazy:
    """A command known by name: `target` is "module:attribute", a Typer app or a function."""

    target: str
    help: str


def lazy_app(commands: Mapping[str, Lazy], **settings: Any) -> typer.Typer:
    """A Typer app whose subcommands are the `commands`, each imported when first needed.

    Args:
        commands: command name -> where it lives and its one-line help for the root's `--help`.
        settings: passed to `typer.Typer` (help, no_args_is_help, ...).
    """
    group = type("LazyCommands", (LazyGroup,), {"registry": dict(commands)})
    app = typer.Typer(cls=group, **settings)

    @app.callback()
    def root() -> None:  # a callback makes the app a group even before a command is loaded
        pass

    root.__doc__ = settings.get("help")
    return app


class LazyGroup(TyperGroup):
    """A Typer group that resolves `registry` names to commands on first use."""

    registry: dict[str, Lazy] = {}
    _listing = False

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        return [*super().list_commands(ctx), *(n for n in self.registry if n not in self.commands)]

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:  # type: ignore[override]
        known = super().get_command(ctx, cmd_name)
        if known is not None or cmd_name not in self.registry:
            return known
        entry = self.registry[cmd_name]
        if self._listing:  # the root's help needs the name and help only, shown whole
            return typer.core.TyperCommand(cmd_name, help=entry.help, short_help=entry.help)
        command = load(entry.target)
        command.name = cmd_name
        self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: typer.Context, formatter: Any) -> None:  # type: ignore[override]
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def load(target: str) -> Any:
    """The click command of "module:attribute": a Typer app as a group, a function alone."""
    module_name, _, attribute = target.partition(":")
    found = getattr(importlib.import_module(module_name), attribute)
    if isinstance(found, typer.Typer):
        return typer.main.get_group(found)  # as `add_typer` would: a group, no completion options
    single = typer.Typer(add_completion=False)
    single.command()(found)
    return typer.main.get_command(single)
