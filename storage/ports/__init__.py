"""Typed repository ports: what the core, handlers, broadcasts, channels and the panel may ask
of storage, with no SQL and no connection in sight. ``storage/`` holds the SQLite
implementation of each; another backend implements the same protocols."""
