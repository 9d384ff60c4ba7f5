"""The generic gateway: any system that speaks the signed JSON protocol of docs/gateway.md."""
from bot.core.plugins import ChannelPackage
from channels.gateway.settings import GatewaySettings

CHANNEL = ChannelPackage(name="gateway", settings=GatewaySettings, channel="channels.gateway.channel:GatewayChannel")
