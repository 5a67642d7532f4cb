"""`dbtool new`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dbtool.cli.options import Dir, Format, OutputFormat
from dbtool.cli.render import emit_json, line

HELP = """Create the next migration file in the service's naming scheme: 4-digit
max+1 for sequential services, a UTC YYYYMMDDHHMMSS timestamp for timestamp
ones (later than every existing file, moved on second by second as a time).
The file goes where migrate and status read: a service that names its wrangler
file gets it in the binding's migrations_dir. The name is slugified; an
existing file is never overwritten; parked files (_name.sql, ignore globs) do
not count.

\b
Examples:
  dbtool new api "add goal progress"      # migrations/api/0011_add_goal_progress.sql
  dbtool new --dir supabase/migrations add_buckets
  dbtool new api "add goal progress" --with-down   # + migrations/api/down/0011_….sql
"""


def register(app: typer.Typer) -> None:
    @app.command("new", help=HELP)
    def new(
        ctx: typer.Context,
        args: Annotated[list[str], typer.Argument(help="SERVICE NAME, or just NAME with --dir.",
                                                  show_default=False)],
        folder: Dir = None,
        with_down: Annotated[bool, typer.Option(
            "--with-down", help="Also create down/<same name>.sql, the rollback file.")] = False,
        fmt: OutputFormat = Format.text,
    ) -> None:
        from dbtool.config import Service, load_project
        from dbtool.core.new import new_migration
        from dbtool.errors import UsageError

        if folder is not None:
            if len(args) != 1:
                raise UsageError("with --dir give only the migration NAME", hint="dbtool new --dir DIR NAME")
            service = Service(name=folder.name, dialect="sqlite", migrations=folder, root=Path.cwd())
            label = args[0]
        else:
            if len(args) != 2:
                raise UsageError("expected SERVICE NAME", hint='e.g. dbtool new api "add goal progress"')
            service = load_project(ctx.obj.get("config")).service(args[0])
            label = args[1]
        path = new_migration(service, label, with_down=with_down)
        down = path.parent / "down" / path.name if with_down else None
        if fmt is Format.json:
            emit_json({"service": service.name, "path": str(path), "name": path.name,
                       "down": str(down) if down else None})
        else:
            line(f"created {path}" + (f" and {down}" if down else ""))
