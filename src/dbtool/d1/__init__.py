"""Cloudflare D1: wrangler's configuration, its local state files, and the REST API.

Nothing here knows about migrations; the engines in `dbtool.engines.d1_local`
and `dbtool.engines.d1_remote` build on these pieces.
"""
