"""The library behind every command: each function takes plain arguments and
returns data; the CLI renders it. Nothing here prints."""
