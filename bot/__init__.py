"""The application: the core (events, replies, routing, the dispatcher, the channel contract) and,
around it, the composition roots that wire it to channels, features and the panel (``app``, ``cli``)."""
