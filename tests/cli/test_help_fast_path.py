"""`dbtool --help` answers from stored text; it must stay what the Typer app prints."""

from __future__ import annotations

import os
import subprocess
import sys

from dbtool.cli import help_text


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    code = "from dbtool.cli.boundary import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env={**base, **env}, timeout=60)


def test_stored_help_is_what_the_typer_app_prints():
    assert help_text.generate() == help_text.TOP_LEVEL, (
        "the top-level help changed: run `python -m dbtool.cli.help_text --write`")


def test_bare_help_prints_the_stored_text_without_importing_typer():
    code = ("import sys\nfrom dbtool.cli.boundary import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit as e:\n    code = e.code\n"
            "sys.stderr.write(f'CODE={code} TYPER={\"typer\" in sys.modules} CLICK={\"click\" in sys.modules}')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout == help_text.TOP_LEVEL
    assert proc.stderr == "CODE=0 TYPER=False CLICK=False"


def test_short_and_long_help_agree_and_list_every_command():
    long, short = _cli("--help"), _cli("-h")
    assert long.returncode == short.returncode == 0
    assert long.stdout == short.stdout
    for command in ("migrate", "status", "audit", "check", "lint", "introspect", "rollback"):
        assert f"\n  {command} " in long.stdout


def test_narrow_terminal_falls_back_to_click_wrapping():
    narrow = _cli("--help", COLUMNS="60")
    assert narrow.returncode == 0
    assert narrow.stdout != help_text.TOP_LEVEL
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 60
    assert "Commands:" in narrow.stdout


def test_a_mistyped_command_gets_one_suggestion_and_exit_2():
    proc = _cli("-c", "nowhere.toml", "rollbak")
    assert proc.returncode == 2
    assert proc.stderr.count("Did you mean 'rollback'?") == 1
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_a_named_command_runs_with_global_options_before_it(tmp_path):
    proc = _cli("--debug", "-c", str(tmp_path / "none.toml"), "status")
    assert proc.returncode == 2
    assert "none.toml does not exist" in proc.stderr
