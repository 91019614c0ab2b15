"""The channels residents and staff reach the bot through."""
