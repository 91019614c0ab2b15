"""The Zalo channel's words: plain text (Zalo shows no markup), gettext ids in English."""

from __future__ import annotations

from bot.i18n import N_

WELCOME = N_("Hello! This is Sẵn sàng, the disaster-preparedness channel of Lê Chân ward. "
             "Please choose your language.")
CHOOSE_AREA = N_("Which neighbourhood do you live in? Warnings will be sent for it.")
SAMPLE_AREAS = N_("(Sample list of neighbourhoods, only for trying out.)")
MORE = N_("➡ More")
SUBSCRIBED = N_("✅ Subscribed to warnings for {area}.")
ASK = N_("💬 Just type your question in a few words (Vietnamese works too, with or without "
         "accents). For example: flood in the house now, or what to prepare before a storm.")
HOW_TO = N_("To report flooding, share your location (the + button in Zalo, then Location). "
            "Type “my data” to see what is stored about you, “delete my data” to delete it, "
            "“area” to change your neighbourhood, “language” to change the language.")
SWITCHED = N_("Switched to English.")
CHOOSE_LANGUAGE = N_("Please choose your language.")
NOT_FOUND = N_("No guide was found for that. Please ask in fewer words, for example: “storm”, "
               "“heat”, “flood”.")
REVIEWED = N_("Reviewed: {date}")
PHONE_WHY = N_(
    "One more question, only once: will you share your phone number for storm warnings? Zalo "
    "lets the ward send you messages only for 7 days after you last wrote here; with your "
    "number, the ward can still reach you with a storm or flood warning after that. It is used "
    "for nothing else, and “delete my data” deletes it. Tap the form below to share it, or "
    "just ignore it.")
PHONE_FORM_TITLE = N_("Share your phone number for storm warnings")
PHONE_FORM_SUBTITLE = N_("Only for warnings from Lê Chân ward; “delete my data” deletes it.")
PHONE_SAVED = N_("Thank you. Your phone number will be used only for storm and flood "
                 "warnings when Zalo does not let the ward write to you here. To delete it, "
                 "type “delete my data”.")
PHONE_BAD = N_("That phone number could not be read; nothing was saved.")
DEPTH_ASK = N_("Thank you. How deep is the water there?")
DEPTH_LABELS = {
    "ankle": N_("Below the ankle"),
    "knee": N_("Ankle – knee"),
    "waist": N_("Knee – waist"),
    "above": N_("Above the waist"),
}
REPORT_THANKS = N_("🌊 Thank you: flood report no. {id} has reached the ward's staff.")
REPORT_RESOLVED = N_("✅ The ward has handled your flood report no. {id} (sent {when}). Thank "
                     "you for telling us. If the water comes back, share your location again.")
REPORT_FIRST = N_("To report flooding, please first share your location (the + button in "
                  "Zalo, then Location), then choose the depth.")
REPORT_RATE = N_("You have sent several reports in the last hour; please wait a little before "
                 "sending another. If someone is in danger, call 112.")
REPORT_BAD_POINT = N_("That location could not be read; please share it again.")
REPORT_FAILED = N_("Sorry, the report could not be saved. Please try again in a moment; if "
                   "someone is in danger, call 112.")
NOTHING_STORED = N_("Nothing is stored about you.")
MYDATA_HEAD = N_("What is stored about you")
MYDATA_CHANNEL = N_("Channel: Zalo")
MYDATA_LANG = N_("Language: {lang}")
MYDATA_AREA = N_("Neighbourhood: {area}")
MYDATA_WARNINGS = N_("Warnings: {state}")
MYDATA_PHONE = N_("Phone number for warnings: {phone}")
MYDATA_FIRST = N_("First contact: {when}")
MYDATA_LAST = N_("Your last message: {when}")
MYDATA_WHY = N_("This is kept only to send warnings for the right neighbourhood, in the right "
                "language. Counts of guide views and questions are kept without your identity.")
MYDATA_FORGET = N_("To delete it, type “delete my data”.")
NOT_CHOSEN = N_("not chosen")
NOT_SHARED = N_("not shared")
ON = N_("on")
OFF = N_("off")
FORGET_ASK = N_("⚠️ After deleting, you will no longer receive warnings. Delete everything "
                "stored about you (language, neighbourhood, subscription, phone number)? "
                "Anonymous counts are kept.")
YES_DELETE = N_("Yes, delete")
NO_KEEP = N_("No, keep")
DELETED = N_("The data has been deleted. To use the bot again, send any message.")
KEPT = N_("Nothing was deleted.")
STALE = N_("That button is no longer valid. Please type your question, or “area” to choose "
           "your neighbourhood.")
EMERGENCY_BUTTON = N_("🆘 Emergency numbers")
MY_DATA_BUTTON = N_("📋 My data")
FORGET_BUTTON = N_("🗑 Delete my data")
