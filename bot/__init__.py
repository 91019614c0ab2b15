"""Sẵn sàng: the disaster-preparedness Telegram bot of Lê Chân ward, Hải Phòng."""

__version__ = "0.1.0"
