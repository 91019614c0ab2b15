"""What the step-by-step flows (/broadcast, editing a weather draft, /report) share: a step that
fails ends its flow, and a flow's buttons are matched by their parsed callback data."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable

from telegram import Update
from telegram.ext import ContextTypes, ConversationHandler

from bot.channels.telegram.handlers import callbacks, fallback
from bot.channels.telegram.handlers.common import answer

END = ConversationHandler.END

Step = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[int | None]]


def drop(context: ContextTypes.DEFAULT_TYPE, key: str) -> None:
    """Forget a flow's half-filled state (kept in user_data under `key`)."""
    if context.user_data is not None:
        context.user_data.pop(key, None)


def ends_on_error(callback: Step, key: str, *, stop_spinner: bool = False) -> Step:
    """A step that fails (Telegram down, a bug) ends its flow, logged and apologised for by the
    error handler: PTB keeps a failed step's state with no timeout, and that state would take the
    person's next messages (their questions) for good. `stop_spinner`: answer the button press
    after a step that worked (a no-op when the step answered it)."""

    @functools.wraps(callback)
    async def step(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
        try:
            state = await callback(update, context)
            if stop_spinner:
                await answer(update, context)
            return state
        except Exception as exc:
            drop(context, key)
            context.error = exc
            await fallback.on_error(update, context)
            return END

    return step


def buttons_of(action: str, steps: Iterable[str]) -> Callable[[object], bool]:
    """A CallbackQueryHandler pattern: the presses whose data parses (callbacks.parse, strictly)
    as `action` with its first argument one of `steps`."""
    wanted = frozenset(steps)

    def matches(data: object) -> bool:
        parsed = callbacks.parse(data if isinstance(data, str) else None)
        return parsed is not None and parsed.name == action and parsed.args[0] in wanted

    return matches
