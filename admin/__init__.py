"""The staff panel: moderation, answers to authors, exports, statistics and posters, in Russian.

``admin.app.setup_admin`` mounts it at /admin on the bot's own web server; admin/app.py's
docstring is the API a page module uses. ``features()``: what the panel's side of the features
registers with the application (the staff commands, the weekly report's job).
"""
from bot.core.plugins import Feature


def features() -> list[Feature]:
    from admin import cli, contest_command, export_command, report

    return [contest_command.FEATURE, cli.FEATURE, export_command.FEATURE, report.FEATURE]
