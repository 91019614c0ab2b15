"""The Telegram adapter: thin handlers that parse, authorise, call one service and render."""
