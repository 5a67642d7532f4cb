"""The rule modules, one per family; importing this package registers every rule.

| family | module | what |
|---|---|---|
| D1xx | d1 | what Cloudflare D1 rejects or ignores |
| DL1xx | dataloss | statements that delete or overwrite data |
| BC1xx | compat | changes that break running code |
| PG1xx | pglock | Postgres locking and transaction pitfalls |
| TX1xx | transactions | statements that break the transaction dbtool runs a file in |
| CV1xx | conventions | the services' conventions and security (opt-in) |
| PS1xx, LT1xx | meta | parse failures and lint-ignore comments |
"""

from dbtool.lint.rules import compat, conventions, d1, dataloss, meta, pglock, transactions

__all__ = ["compat", "conventions", "d1", "dataloss", "meta", "pglock", "transactions"]
