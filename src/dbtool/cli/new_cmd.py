"""`dbtool new`."""

from __future__ import annotations

from typing import Annotated

import typer

from dbtool.cli.options import Dir, Format, OutputFormat, spec
from dbtool.cli.render import emit_json, line

HELP = """Create the next migration file in the service's naming scheme: 4-digit
max+1 for sequential services, a UTC YYYYMMDDHHMMSS timestamp for timestamp
ones (later than every existing file, moved on second by second as a time).
The file goes where migrate and status read: a service that names its wrangler
file gets it in the binding's migrations_dir, and so does --dir naming a
wrangler project's folder. The name is slugified; an
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
        from dbtool.core.new import new
        from dbtool.errors import UsageError

        if folder is not None:
            if len(args) != 1:
                raise UsageError("with --dir give only the migration NAME", hint="dbtool new --dir DIR NAME")
            names, label = None, args[0]
        else:
            if len(args) != 2:
                raise UsageError("expected SERVICE NAME", hint='e.g. dbtool new api "add goal progress"')
            names, label = [args[0]], args[1]
        created = new(spec(ctx, names, False, None, None, folder), label, with_down=with_down)
        if fmt is Format.json:
            emit_json(created.to_dict())
        else:
            line(f"created {created.path}" + (f" and {created.down}" if created.down else ""))
