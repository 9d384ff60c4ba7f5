"""Durable broadcasts: rows in the outbox first (``outbox.create``), sends second (one
``sender.ChannelSender`` per channel, paced to the platform's ceiling), run by
``service.BroadcastService``. Audiences in ``audience``, sandboxed jinja2 texts in ``templates``."""
from bot.core.plugins import Feature


def features() -> list[Feature]:
    """What broadcasts register with the application: the ``broadcast`` staff command."""
    from broadcasts import cli

    return [cli.FEATURE]
