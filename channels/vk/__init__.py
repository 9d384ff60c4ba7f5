"""VK (ВКонтакте) community messages: Bots Long Poll or Callback API in, messages.send out."""
