"""The Zalo Official Account channel: webhook in, consultation and template messages out.

Started beside Telegram by `sansang run` when SANSANG_ZALO=on (see `app.start`).
"""
