"""Durable broadcasts: rows in the outbox first (``outbox.create``), sends second (one
``sender.ChannelSender`` per channel, paced to the platform's ceiling), run by
``service.BroadcastService``. Audiences in ``audience``, sandboxed jinja2 texts in ``templates``."""
