"""Odnoklassniki: the Bot API for groups (apiok.ru), by webhook only."""
from bot.core.plugins import ChannelPackage
from channels.ok.settings import OkSettings

CHANNEL = ChannelPackage(name="ok", settings=OkSettings, channel="channels.ok.channel:OkChannel")
