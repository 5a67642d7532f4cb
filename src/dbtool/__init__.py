"""dbtool: ordered raw-SQL migrations, drift checks and schema reports.

The package is a library first; `dbtool.cli` is a thin layer over it.
"""

__version__ = "0.1.0"
