"""VK (ВКонтакте) community messages: Bots Long Poll or Callback API in, messages.send out."""
from bot.core.plugins import ChannelPackage
from channels.vk.settings import VkSettings

CHANNEL = ChannelPackage(name="vk", settings=VkSettings, channel="channels.vk.channel:VkChannel",
                         file_settings=("longpoll_state_file",))
