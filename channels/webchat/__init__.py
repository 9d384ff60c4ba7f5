"""The built-in web chat: a page at /chat and the JSON API it (and any site widget) uses."""
from bot.core.plugins import ChannelPackage
from channels.webchat.settings import WebchatSettings

CHANNEL = ChannelPackage(name="webchat", settings=WebchatSettings, channel="channels.webchat.channel:WebChatChannel")
