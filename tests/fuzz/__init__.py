"""Bounded fuzz tests (hypothesis): whatever arrives at any HTTP endpoint or any channel's parser,
the bot answers it with less than 500, keeps running, and keeps answering other residents.

- ``test_parsers``: each channel's parse function on mutated documented payloads returns events
  (that can be stored) or raises the parse error the channel declares, never anything else.
- ``test_webchat``: the web chat API with arbitrary JSON, hostile texts at each step of a
  conversation, odd multipart forms and odd long-poll queries.
- ``test_webhooks``: every webhook, correctly signed, with raw bytes, arbitrary JSON and mutated
  documented payloads.
- ``test_panel``: every form of the staff panel, logged in with a valid CSRF token, and the
  panel's pages with odd query strings.

``budget`` says how many examples (small and the same every run by default); the smallest
examples each finding was reduced to are pinned (``@example``, ``FINDINGS``) and run every time.
"""
