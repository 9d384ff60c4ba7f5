"""The MAX messenger (dev.max.ru): parse inbound updates, render replies, talk to the bot API."""
from bot.core.plugins import ChannelPackage
from channels.max.settings import MaxSettings

CHANNEL = ChannelPackage(name="max", settings=MaxSettings, channel="channels.max.channel:MaxChannel",
                         file_settings=("ca_bundle",))
