"""Telegram: parse.py maps updates to events, render.py replies to Bot API calls, calls.py retries
and classifies errors, intake.py receives (polling or webhook), channel.py puts them together."""
from bot.core.plugins import ChannelPackage
from channels.telegram.settings import TelegramSettings

CHANNEL = ChannelPackage(name="telegram", settings=TelegramSettings,
                         channel="channels.telegram.channel:TelegramChannel")
