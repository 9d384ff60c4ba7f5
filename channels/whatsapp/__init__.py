"""The WhatsApp Cloud API channel (Meta's Graph API, webhooks only)."""
from bot.core.plugins import ChannelPackage
from channels.whatsapp.settings import WhatsappSettings

CHANNEL = ChannelPackage(name="whatsapp", settings=WhatsappSettings,
                         channel="channels.whatsapp.channel:WhatsappChannel")
