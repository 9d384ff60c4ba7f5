"""Channel adapters: transport only, one package per platform.

``REGISTRY`` is the explicit list of channels, by import path so that a platform's library is
imported only when its channel is enabled.
"""
REGISTRY: dict[str, str] = {
    "webchat": "channels.webchat.channel:WebChatChannel",
    "telegram": "channels.telegram.channel:TelegramChannel",
    "vk": "channels.vk.channel:VkChannel",
    "max": "channels.max.channel:MaxChannel",
    "whatsapp": "channels.whatsapp.channel:WhatsappChannel",
    "gateway": "channels.gateway.channel:GatewayChannel",
    "ok": "channels.ok.channel:OkChannel",
}
