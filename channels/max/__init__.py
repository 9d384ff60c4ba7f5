"""The MAX messenger (dev.max.ru): parse inbound updates, render replies, talk to the bot API."""
