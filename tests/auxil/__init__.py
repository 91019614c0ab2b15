"""Test helpers: people chatting with the bot through the fake Bot API."""
