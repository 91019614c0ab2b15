"""/report for residents: where the water is, how deep, an optional photo and note, then one
submit; and the short answer /report gets in a group.

PTB's ConversationHandler holds the step per private chat; the half-filled report lives in the
resident's user_data, never in the database: only `FloodReports.submit` writes, once, with
everything. An abandoned flow ends after FLOW_TIMEOUT with nothing saved, and the resident is
told. Staff copies are sent by flood_staff, as a task, once the report is saved.
"""

from __future__ import annotations

import html
import logging
import warnings
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.channels.telegram.handlers import callbacks, flood_staff, flows
from bot.channels.telegram.handlers.common import (
    answer,
    buttons,
    chat_row,
    danger_line,
    menu_only,
    services,
    show,
)
from bot.channels.telegram.handlers.flood_staff import depth_label
from bot.floods.models import DEPTHS, NOTE_MAX
from bot.floods.reports import clean_note
from bot.i18n import N_, gettext, guess_lang, number

logger = logging.getLogger(__name__)

DRAFT = "flood_report"
EXPIRED = "flood_report_expired"  # set when a flow timed out: its old buttons say so
FLOW_TIMEOUT = 15 * 60  # seconds without an answer before the half-filled report is dropped
PHOTO_LIMIT = 10 * 1024 * 1024  # bytes of the largest size Telegram gives us
DEEP_LINK = "report"  # t.me/<bot>?start=report opens the flow (the group answer's button)

# The flow's steps (ConversationHandler states). EXTRAS takes a photo and a note, in any order.
LOCATION, DEPTH, EXTRAS = range(3)
END = ConversationHandler.END

SEND_LOCATION = N_("📍 Send location")
CANCEL = N_("✖ Cancel")
SKIP = N_("Skip")
SEND = N_("✅ Send")
STALE = N_("This report is already finished. To report flooding again, send /report.")


def _draft(context: ContextTypes.DEFAULT_TYPE) -> dict[str, Any] | None:
    data = context.user_data
    return data.get(DRAFT) if data is not None else None


def _drop(context: ContextTypes.DEFAULT_TYPE) -> None:
    flows.drop(context, DRAFT)


def _location_keyboard(lang: str) -> ReplyKeyboardMarkup:
    _ = gettext(lang)
    return ReplyKeyboardMarkup(
        [[KeyboardButton(_(SEND_LOCATION), request_location=True)], [KeyboardButton(_(CANCEL))]],
        resize_keyboard=True, one_time_keyboard=True,
        input_field_placeholder=_("Press 📍 to send where you are"),
    )


def _depth_markup(lang: str) -> InlineKeyboardMarkup:
    _ = gettext(lang)
    rows = [[(depth_label(d, lang), callbacks.report_depth(d))] for d in DEPTHS]
    return buttons([*rows, [(_(CANCEL), callbacks.REPORT_CANCEL)]])


def _extras_markup(lang: str, draft: dict[str, Any]) -> InlineKeyboardMarkup:
    """Skip before anything was added; Send once a photo or a note is there."""
    _ = gettext(lang)
    added = draft.get("photo") or draft.get("note")
    return buttons([[(_(SEND) if added else _(SKIP), callbacks.REPORT_SKIP),
                     (_(CANCEL), callbacks.REPORT_CANCEL)]])


def _is_cancel(text: str) -> bool:
    """The reply keyboard's cancel button, in either language (the flow may outlive a change)."""
    labels = set()
    for lang in ("vi", "en"):
        _ = gettext(lang)
        labels.add(_(CANCEL))
    return text.strip() in labels


# ---------------------------------------------------------------------------- the steps
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """/report (or the deep link) in a private chat: ask where the water is."""
    message = update.effective_message
    if message is None or context.user_data is None:
        return END
    row = await chat_row(update, context)
    _ = gettext(row.lang)
    context.user_data.pop(EXPIRED, None)
    _drop(context)
    if await _over_limit(context, row.chat_id):
        # Said before the steps, not after them (submit still decides, in its transaction).
        await message.reply_text(
            danger_line(row.lang) + "\n\n" + _limit_text(context, row.lang, before=True),
            reply_markup=ReplyKeyboardRemove())
        return END
    context.user_data[DRAFT] = {"lang": row.lang}
    await message.reply_text(
        "<b>" + _("🌊 Report flooding") + "</b>\n" + _(
            "Where is the water? If you are there, press “{button}” below; or send the place "
            "with 📎 → Location (you can pick it on the map). Then choose how deep it is; a "
            "photo and a note are optional."
        ).format(button=_(SEND_LOCATION)) + "\n\n" + danger_line(row.lang),
        reply_markup=_location_keyboard(row.lang),
    )
    return LOCATION


async def located(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """A location (the button, or sent by hand) or a venue: confirm the place, ask the depth."""
    message, draft = update.effective_message, _draft(context)
    if message is None or draft is None:
        return await _lost(update, context)
    location = message.venue.location if message.venue else message.location
    lang = draft["lang"]
    _ = gettext(lang)
    if location is None or not (-90 <= location.latitude <= 90
                                and -180 <= location.longitude <= 180):
        await message.reply_text(_("Sorry, this location could not be read. Please send it "
                                   "again."), reply_markup=_location_keyboard(lang))
        return None
    draft["lat"], draft["lon"] = location.latitude, location.longitude
    svc = services(context)
    area_id, outside = svc.flood_reports.place(location.latitude, location.longitude)
    if outside:
        where = _("📍 Location received. It is outside Lê Chân ward; the report is still "
                  "taken.")
    elif area_id is None:  # areas without coordinates: the point is kept, no area named
        where = _("📍 Location received.")
    else:
        where = _("📍 Location received: {area}.").format(
            area=html.escape(svc.areas.name(area_id, lang)))
    # A message of its own: it takes the reply keyboard away (one with inline buttons cannot).
    await message.reply_text(where, reply_markup=ReplyKeyboardRemove())
    await message.reply_text(_("How deep is the water there?"), reply_markup=_depth_markup(lang))
    return DEPTH


async def location_typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """Text where a location was expected: the cancel button, or a kind explanation."""
    message, draft = update.effective_message, _draft(context)
    if message is None or draft is None:
        return await _lost(update, context)
    if _is_cancel(message.text or ""):
        return await cancel(update, context)
    lang = draft["lang"]
    _ = gettext(lang)
    await message.reply_text(
        danger_line(lang) + "\n\n" +
        _("Sorry, a typed address cannot be put on the map. Please press “{button}” below "
          "(on a phone, with location turned on), or send a location with 📎 → Location. "
          "To stop, press “{cancel}”.").format(button=_(SEND_LOCATION), cancel=_(CANCEL)),
        reply_markup=_location_keyboard(lang),
    )
    return None


async def location_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """A photo, sticker, voice note… before the location."""
    message, draft = update.effective_message, _draft(context)
    if message is None or draft is None:
        return await _lost(update, context)
    lang = draft["lang"]
    _ = gettext(lang)
    await message.reply_text(
        danger_line(lang) + "\n\n" +
        _("First, the place: please press “{button}” below. You can send a photo after "
          "choosing the depth.").format(button=_(SEND_LOCATION)),
        reply_markup=_location_keyboard(lang),
    )
    return None


async def depth_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """A depth button: remember it, ask for the optional photo and note."""
    draft = _draft(context)
    action = callbacks.parse(update.callback_query.data if update.callback_query else None)
    if draft is None or "lat" not in draft or action is None or action.args[0] != "d":
        return await _lost(update, context)
    lang = draft["lang"]
    _ = gettext(lang)
    draft["depth"] = action.args[1]
    await show(update, _("How deep is the water there?") + " <b>" +
               html.escape(depth_label(draft["depth"], lang)) + "</b>")
    ask = _("📷 If you can do it safely, send a photo of the water (never walk into it for a "
            "photo); you may also type a short note (at most {n} characters), for example "
            "“water rising, motorbikes stalled”. Or press “{skip}” to send the report now.")
    message = update.effective_message
    if message is not None:
        await message.reply_text(ask.format(n=number(NOTE_MAX, lang), skip=_(SKIP)),
                                 reply_markup=_extras_markup(lang, draft))
    return EXTRAS


async def depth_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """Anything but a depth button at the depth step: show the buttons again."""
    message, draft = update.effective_message, _draft(context)
    if message is None or draft is None:
        return await _lost(update, context)
    if message.text and _is_cancel(message.text):
        return await cancel(update, context)
    lang = draft["lang"]
    _ = gettext(lang)
    await message.reply_text(
        danger_line(lang) + "\n\n" +
        _("Please choose how deep the water is with one of the buttons:"),
        reply_markup=_depth_markup(lang))
    return None


async def photo_sent(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """A photo at the last step: keep its largest size (a caption is the note)."""
    message, draft = update.effective_message, _draft(context)
    if message is None or draft is None or not message.photo:
        return await _lost(update, context)
    lang = draft["lang"]
    _ = gettext(lang)
    if message.media_group_id and message.media_group_id == draft.get("album"):
        return None  # the rest of an album: the first photo is kept
    largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
    if (largest.file_size or 0) > PHOTO_LIMIT:
        await message.reply_text(
            _("Sorry, this photo is too large (more than {mb} MB). Please send a smaller one, "
              "or press “{skip}”.").format(mb=number(PHOTO_LIMIT // (1024 * 1024), lang),
                                           skip=_(SKIP)),
            reply_markup=_extras_markup(lang, draft))
        return None
    draft["photo"], draft["album"] = largest.file_id, message.media_group_id
    if message.caption:
        return await _take_note(update, context, draft, message.caption)
    if draft.get("note"):
        return await _submit(update, context, draft)
    await message.reply_text(
        _("📷 Photo added. Type a short note if you want, or press “{send}”.").format(
            send=_(SEND)), reply_markup=_extras_markup(lang, draft))
    return None


async def note_typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """A typed note at the last step."""
    message, draft = update.effective_message, _draft(context)
    if message is None or draft is None:
        return await _lost(update, context)
    if _is_cancel(message.text or ""):
        return await cancel(update, context)
    return await _take_note(update, context, draft, message.text or "")


async def _take_note(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any],
                     text: str) -> int | None:
    message = update.effective_message
    assert message is not None
    lang = draft["lang"]
    _ = gettext(lang)
    note = clean_note(text)
    if note is not None and len(note) > NOTE_MAX:
        await message.reply_text(
            _("Sorry, the note is too long: {count} characters, at most {n}. Please shorten it, "
              "or press “{send}”.").format(count=number(len(note), lang),
                                           n=number(NOTE_MAX, lang),
                                           send=_(SEND) if draft.get("photo") else _(SKIP)),
            reply_markup=_extras_markup(lang, draft))
        return None
    draft["note"] = note
    if draft.get("photo") or note is None:
        return await _submit(update, context, draft)
    await message.reply_text(
        _("📝 Note added. Send a photo if you can, or press “{send}”.").format(send=_(SEND)),
        reply_markup=_extras_markup(lang, draft))
    return None


async def extras_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """A sticker, voice note, file… at the last step: what it takes instead."""
    message, draft = update.effective_message, _draft(context)
    if message is None or draft is None:
        return await _lost(update, context)
    lang = draft["lang"]
    _ = gettext(lang)
    document = message.document
    if document is not None and (document.mime_type or "").startswith("image/"):
        text = _("Please send the picture as a photo, not as a file (choose Photo, not File, "
                 "in the 📎 menu), or press “{skip}”.")
    else:
        text = _("Here the bot takes a photo or a short typed note. Send one, or press "
                 "“{skip}” to send the report as it is.")
    send = _(SEND) if draft.get("photo") or draft.get("note") else _(SKIP)
    await message.reply_text(danger_line(lang) + "\n\n" + text.format(skip=send),
                             reply_markup=_extras_markup(lang, draft))
    return None


async def skipped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """Skip / Send: submit with what there is."""
    draft = _draft(context)
    if draft is None or "depth" not in draft:
        return await _lost(update, context)
    return await _submit(update, context, draft)


async def _submit(update: Update, context: ContextTypes.DEFAULT_TYPE,
                  draft: dict[str, Any]) -> int | None:
    """Save the report once; thank only when it was saved, and send the staff copies."""
    svc = services(context)
    chat = update.effective_chat
    assert chat is not None
    lang = draft["lang"]
    _ = gettext(lang)
    try:
        result = await svc.flood_reports.submit(
            chat.id, lang, draft["lat"], draft["lon"], draft["depth"],
            photo_file_id=draft.get("photo"), note=draft.get("note"))
    except Exception:
        # The database refused (disk full, locked…): nothing was saved; keep the draft so the
        # same button tries again.
        logger.exception("a flood report could not be saved")
        await _say(update, danger_line(lang) + "\n\n" + _(
            "Sorry, your report could not be saved just now, so the ward has not received it. "
            "Please press “{again}” in a minute.").format(again=_("🔁 Try again")),
            buttons([[(_("🔁 Try again"), callbacks.REPORT_SKIP),
                      (_(CANCEL), callbacks.REPORT_CANCEL)]]))
        return EXTRAS
    report = result.report
    if report is None:
        _drop(context)
        if result.refused == "rate":
            text = _limit_text(context, lang)
        else:
            text = _("Sorry, this report could not be saved (the place or the depth could not "
                     "be read). Please start again with /report.")
        await _say(update, danger_line(lang) + "\n\n" + text, menu_only(lang))
        return END
    _drop(context)
    lines = ["<b>" + _("✅ Thank you! Your flood report no. {id} has reached the ward.").format(
        id=report.id) + "</b>",
        _("Ward staff will check it, and the bot will tell you here when it has been handled.")]
    if report.outside:
        lines.append(_("The place is outside Lê Chân ward: it is kept, but another ward may be "
                       "the one to act."))
    lines += ["", danger_line(lang)]
    await _say(update, "\n".join(lines), menu_only(lang))
    context.application.create_task(flood_staff.send_copies(context.application, report),
                                    update=update, name=f"flood-report-{report.id}-copies")
    return END


async def _over_limit(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> bool:
    """This chat already sent the most reports an hour allows."""
    reports = services(context).flood_reports
    now = reports.clock()
    recent = await reports.in_period((now - timedelta(hours=1)).isoformat(timespec="seconds"),
                                     (now + timedelta(minutes=1)).isoformat(timespec="seconds"))
    return sum(r.reporter_chat == chat_id for r in recent) >= reports.MAX_PER_HOUR


def _limit_text(context: ContextTypes.DEFAULT_TYPE, lang: str, before: bool = False) -> str:
    """The hourly limit, said at /report (`before`) or when a submit was refused."""
    _ = gettext(lang)
    text = (_("Sorry, no new report can be taken from this chat just now: at most {n} reports "
              "an hour. Please try again later.") if before else
            _("Sorry, this report was not saved: at most {n} reports an hour can be sent from "
              "one chat. Please try again later."))
    return text.format(n=number(services(context).flood_reports.MAX_PER_HOUR, lang))


async def _say(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """After a button press, the prompt with the button becomes the answer; else a new
    message."""
    if update.callback_query is not None:
        await show(update, text, markup)
    else:
        message = update.effective_message
        assert message is not None
        await message.reply_text(text, reply_markup=markup)


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The cancel button (inline or on the reply keyboard) or /cancel: nothing is saved."""
    draft = _draft(context)
    _drop(context)
    lang = draft["lang"] if draft else (await chat_row(update, context)).lang
    _ = gettext(lang)
    text = _("Cancelled: no report was sent. To report flooding later, send /report.")
    message = update.effective_message
    if update.callback_query is not None:
        await show(update, text)
    elif message is not None:
        await message.reply_text(text, reply_markup=ReplyKeyboardRemove())
    return END


async def timed_out(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """No answer for FLOW_TIMEOUT: drop the half-filled report and say it was not sent (a
    resident who walked away may think the ward knows)."""
    draft = _draft(context)
    _drop(context)
    if context.user_data is not None:
        context.user_data[EXPIRED] = True
    chat = update.effective_chat
    if chat is None:
        return
    lang = draft["lang"] if draft else "vi"
    _ = gettext(lang)
    try:
        await context.bot.send_message(chat.id, _(
            "Your flood report was not sent: no answer for {minutes} minutes, so nothing was "
            "saved. To report flooding, send /report again.").format(
                minutes=number(FLOW_TIMEOUT // 60, lang)), reply_markup=ReplyKeyboardRemove())
    except Exception:
        # PTB ends the conversation only when this returns: a failed notice must not keep it.
        logger.warning("could not tell a resident their flood report expired", exc_info=True)


async def _lost(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A step with no half-filled report behind it (dropped): end, and say how to start."""
    _drop(context)
    await stale(update, context)
    return END


async def stale(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A flow button outside the flow: an expired report says so (nothing was saved), any
    other says the report is finished."""
    chat, user = update.effective_chat, update.effective_user
    row = await services(context).subscriptions.get(chat.id) if chat else None
    lang = row.lang if row else guess_lang(user.language_code if user else None)
    _ = gettext(lang)
    expired = context.user_data is not None and context.user_data.pop(EXPIRED, False)
    if _draft(context) is not None:  # a report is open: the button is from another step
        text = _("This button is from an earlier step. Please use the buttons of the latest "
                 "message.")
    elif expired:
        text = _("This report was not sent: it waited more than {minutes} minutes, and nothing "
                 "was saved. To report flooding, send /report again.").format(
                     minutes=number(FLOW_TIMEOUT // 60, lang))
    else:
        text = _(STALE)
    if update.callback_query is not None:
        await answer(update, context, text, alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


async def in_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/report in a group: reports are made in a private chat (the location is personal)."""
    row = await chat_row(update, context)
    _ = gettext(row.lang)
    link = f"https://t.me/{context.bot.username}?start={DEEP_LINK}"
    message = update.effective_message
    if message is not None:
        await message.reply_text(
            _("To report flooding, please write to the bot in a private chat: press the button "
              "below."),
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton(_("🌊 Report flooding privately"), url=link)]]))


async def location_outside(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A location sent outside the flow (private chat): how to report flooding there."""
    row = await chat_row(update, context)
    _ = gettext(row.lang)
    message = update.effective_message
    if message is not None:
        await message.reply_text(
            danger_line(row.lang) + "\n\n" +
            _("To report flooding at a place, send /report first, then share the location."),
            reply_markup=menu_only(row.lang))


def _ends_on_error(callback: flows.Step) -> flows.Step:
    """A step that fails ends the flow (see flows.ends_on_error); a button's spinner stops."""
    return flows.ends_on_error(callback, DRAFT, stop_spinner=True)


def _buttons(*steps: str) -> Callable[[object], bool]:
    return flows.buttons_of("report", steps)


def conversation() -> ConversationHandler:  # type: ignore[type-arg]
    """The flow as one ConversationHandler, per private chat and user."""
    message = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    text = message & filters.TEXT & ~filters.COMMAND
    place = message & (filters.LOCATION | filters.VENUE)
    other = message & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    states: dict[object, list[BaseHandler[Any, Any, Any]]] = {
        LOCATION: [
            MessageHandler(place, _ends_on_error(located)),
            MessageHandler(text, _ends_on_error(location_typed)),
            MessageHandler(other, _ends_on_error(location_other)),
        ],
        DEPTH: [
            CallbackQueryHandler(_ends_on_error(depth_chosen), pattern=_buttons("d")),
            MessageHandler(other, _ends_on_error(depth_other)),
        ],
        EXTRAS: [
            CallbackQueryHandler(_ends_on_error(skipped), pattern=_buttons("s")),
            MessageHandler(message & filters.PHOTO, _ends_on_error(photo_sent)),
            MessageHandler(text, _ends_on_error(note_typed)),
            MessageHandler(other, _ends_on_error(extras_other)),
        ],
        ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
    }
    private_command = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    with warnings.catch_warnings():
        # per_message=False is meant: one report per chat spans many messages, and buttons are
        # matched to the step, not to a message.
        warnings.filterwarnings("ignore", message="If 'per_message=False'",
                                category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[
                CommandHandler("report", _ends_on_error(start), filters=private_command),
                CommandHandler("start", _ends_on_error(start),
                               filters=private_command
                               & filters.Regex(rf"^/start(@\w+)? {DEEP_LINK}\s*$")),
            ],
            states=states,  # type: ignore[arg-type]
            fallbacks=[
                CommandHandler("cancel", _ends_on_error(cancel),
                               filters=filters.UpdateType.MESSAGE),
                CallbackQueryHandler(_ends_on_error(cancel), pattern=_buttons("x")),
            ],
            allow_reentry=True,  # /report again starts afresh
            per_chat=True,
            per_user=True,
            per_message=False,
            conversation_timeout=FLOW_TIMEOUT,
            name="flood_report",
        )
