"""The Telegram adapter: the application, its handlers, menus and the broadcast sender."""
