"""Odnoklassniki: the Bot API for groups (apiok.ru), by webhook only."""
