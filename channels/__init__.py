"""Channel adapters: transport only, one package per platform.

Each package registers itself: its ``__init__.py`` holds ``CHANNEL``, a
``bot.core.plugins.ChannelPackage`` (its name, its section of the settings in its own
``settings.py``, and its ``Channel`` class by import path, so that a platform's library is imported
only when the channel is enabled). ``CHANNELS`` below is the one list of them, in the order they
start; the application assembles the settings (``bot/config.py``) and starts the channels
(``bot/app.py``) from it.
"""
from bot.core.plugins import ChannelPackage
from channels import gateway, max as max_messenger, ok, telegram, vk, webchat, whatsapp

CHANNELS: tuple[ChannelPackage, ...] = (webchat.CHANNEL, telegram.CHANNEL, vk.CHANNEL, max_messenger.CHANNEL,
                                        whatsapp.CHANNEL, gateway.CHANNEL, ok.CHANNEL)
