"""The SQL text layer: one lexer, one normaliser, one SQLite DDL parser, and statement facts.

* `lexer` — the one lexer: SQLite's lexis, and the Postgres spellings expressions carry;
* `normalize` — canonical text of expressions, types and defaults, for the model and the differ;
* `sqlite_ddl` — CREATE TABLE / INDEX / VIEW / TRIGGER as SQLite stores them;
* `sqlite` — what one SQLite/D1 statement does, read from its tokens;
* `postgres` — what one Postgres statement does, read from pglast's AST (the server's parser);
* `facts` — the dialect-neutral facts both analyses report;
* `dialects` — each dialect's differences, as data.

Nothing here imports the rest of dbtool (tests/unit/test_sql_text.py checks it); lint,
reports, inspection, the differ and the planner import from here. See docs/architecture.md.
"""
