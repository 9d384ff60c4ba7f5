"""The WhatsApp Cloud API channel (Meta's Graph API, webhooks only)."""
