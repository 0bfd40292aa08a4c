"""The `geneverse` command. Command groups of the other packages are plugins, found through the
`geneverse.commands` entry points, so the dependency arrows between packages stay one-way."""

import sys
from importlib.metadata import entry_points

import typer

from kg.errors import GeneverseError
from kg.output import err_console

app = typer.Typer(
    name="geneverse",
    help="An open agent for genomic and proteomic questions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _load_plugins() -> None:
    for ep in sorted(entry_points(group="geneverse.commands"), key=lambda e: e.name):
        try:
            command = ep.load()
        except ImportError as err:  # one broken group must not take the whole CLI down
            err_console.print(f"[yellow]warning:[/yellow] command '{ep.name}' unavailable: {err}")
            continue
        if isinstance(command, typer.Typer):
            app.add_typer(command, name=ep.name)
        else:
            app.command(ep.name)(command)


_load_plugins()


def main() -> None:
    """Console entry point: user errors become one message and a non-zero exit."""
    try:
        app(standalone_mode=False)
    except GeneverseError as err:
        err_console.print(f"[red]error:[/red] {err}")
        sys.exit(err.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("aborted")
        sys.exit(130)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except Exception as err:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(err, click.ClickException):
            err.show()
            sys.exit(err.exit_code)
        raise
