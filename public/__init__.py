"""The public page at /public and its open-data feed: a read-only view, with no login, of what
staff marked public (proposals on a map and in a list, published poll results, the episodes),
for residents and for the city's site to show in a frame.

It reads through ``storage.ports.public`` alone and writes nothing; staff publish a proposal in
the panel (admin/publishing.py). Wired by bot/app.py (``public.app.setup_public``).
"""
