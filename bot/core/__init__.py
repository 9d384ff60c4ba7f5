"""The core: events, replies, routing, the dispatcher and the channel contract.

It knows no platform and no feature: channels and features are handed to it by the application
(``bot/app.py``), so it imports nothing above it (checked by tests/test_import_rules.py).
"""
