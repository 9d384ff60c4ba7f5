"""The staff panel: moderation, answers to authors, exports, statistics and posters, in Russian.

``admin.app.setup_admin`` mounts it at /admin on the bot's own web server; admin/app.py's
docstring is the API a page module uses.
"""
