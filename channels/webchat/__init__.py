"""The built-in web chat: a page at /chat and the JSON API it (and any site widget) uses."""
