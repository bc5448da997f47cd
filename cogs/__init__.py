"""Discord cogs: thin translators between Discord interactions and the community services."""
