"""`python -m bot.fakeapi`: the fake Bot API in a process of its own (see standalone.py)."""

from bot.fakeapi.standalone import main

main()
