"""Finding the right guide for a question typed in a resident's own words.

Text is normalised (NFC, lower case) and also folded (no diacritics, đ → d), so "ngập lụt", its NFD
form and "ngap lut" all work; phrases from both languages map to shared concepts (bão ~ storm ~
typhoon), a one-letter typo in a longer word is forgiven, and BM25 ranks the guides with the
title and keywords weighing more than the body.

Residents describe a situation more often than they name a hazard, so two rules follow the
ranking (see `GuideSearch.search`): words of time and state pick the phase ("sắp" → before,
"đang" → during, "rút rồi" → after), and the guide of the question's hazard nearest that phase
comes first; a question naming a hazard is never answered first by a guide of another hazard.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass

from bot.guides.library import Guide, Library

FIELD_WEIGHTS = {"title": 3.0, "keywords": 3.0, "meta": 2.0, "body": 1.0}
K1, B = 1.2, 0.75
MIN_SCORE = 1.5
# A question naming no known topic is answered only on a strong match of most of its words:
# "bóng đá" (football) must not bring up hail ("mưa đá").
NO_TOPIC_MIN_SCORE = 25.0
NO_TOPIC_MIN_KNOWN = 0.6
TYPO_MIN_LENGTH = 5

# Phrases (Vietnamese with diacritics, and English) that mean the same thing. A phrase may stand
# in several concepts ("đốt than": cold spells and carbon monoxide). A phrase inside a longer one
# of another meaning does not count: "lũ sông" is a river flood, not also an urban one; "buồn
# nôn" (nausea) is not "buồn" (sad).
CONCEPTS: dict[str, tuple[str, ...]] = {
    "#storm": ("bão", "cơn bão", "siêu bão", "gió bão", "áp thấp", "áp thấp nhiệt đới", "atnđ",
               "storm", "storms", "typhoon", "typhoons", "tropical depression", "cyclone"),
    "#flood": ("lụt", "ngập", "ngập lụt", "ngập úng", "úng", "lũ", "nước vào nhà", "nước ngập",
               "nước lên", "tràn vào nhà", "nước rút", "nước đã rút", "flood", "floods",
               "flooding", "flooded", "inundation", "waterlogged", "water in the house",
               "water coming in", "water is coming in", "water coming into the house",
               "water is coming into the house", "water rising"),
    "#river": ("lũ sông", "nước sông", "sông lên", "mực nước sông", "lũ thượng nguồn",
               "thượng nguồn", "đê", "con đê", "vỡ đê", "tràn đê", "bờ đê", "chân đê", "ngoài đê",
               "ngoài bãi", "bãi sông", "hộ đê", "canh đê", "báo động 1", "báo động 2",
               "báo động 3", "báo động i", "báo động ii", "báo động iii", "báo động cấp 1",
               "báo động cấp 2", "báo động cấp 3", "báo động số 1", "báo động số 2",
               "báo động số 3", "báo động lũ", "kẻng", "đánh kẻng", "gõ kẻng", "trống",
               "đánh trống",
               "river flood", "river floods", "river flooding", "dyke", "dykes", "dike", "dikes",
               "levee", "levees", "dyke breach", "alarm level", "flood alarm", "upstream",
               "river level"),
    "#surge": ("nước dâng", "triều cường", "thủy triều", "triều", "storm surge", "surge",
               "king tide", "king tides", "high tide", "tide"),
    "#landslide": ("sạt lở", "sạt", "lở đất", "sạt lở đất", "xói lở", "sụt lún", "lún", "nứt",
                   "tường nứt", "nghiêng", "landslide", "landslides", "mudslide", "erosion",
                   "riverbank", "river bank", "subsidence", "crack", "cracks", "cracked"),
    "#lightning": ("sét", "sét đánh", "dông", "giông", "dông sét", "lốc", "lốc xoáy", "mưa đá",
                   "lightning", "thunder", "thunderstorm", "thunderstorms", "whirlwind",
                   "tornado", "hail"),
    "#heat": ("nắng nóng", "nóng", "oi bức", "say nắng", "sốc nhiệt", "heat", "hot",
              "heatwave", "heat wave", "heatstroke", "heat stroke", "sunstroke"),
    "#cold": ("rét", "rét đậm", "rét hại", "lạnh", "giá rét", "sưởi", "sưởi ấm", "đốt than",
              "sưởi than", "cold", "cold spell", "freezing", "chilly", "cold snap", "heater",
              "charcoal"),
    "#drought": ("hạn hán", "khô hạn", "nắng hạn", "thiếu nước", "cạn nước", "hết nước",
                 "mất nước máy", "cúp nước", "cắt nước", "trữ nước", "tích nước", "nước mặn",
                 "nhiễm mặn", "xâm nhập mặn", "mặn", "độ mặn", "drought", "droughts",
                 "water shortage", "water shortages", "water cut", "dry season", "saltwater",
                 "salt water", "salinity", "saline", "salty"),
    "#fire": ("cháy", "cháy nhà", "đám cháy", "hỏa hoạn", "hoả hoạn", "bốc cháy", "chập cháy",
              "khói", "chuồng cọp", "lồng sắt", "lối thoát", "thoát hiểm", "bình chữa cháy",
              "khí co", "ngộ độc co", "ngộ độc khí", "ngạt khí", "khí độc", "khí than",
              "máy phát điện", "máy phát", "bếp than", "than tổ ong", "đốt than", "sưởi than",
              "fire", "fires", "house fire", "burning", "smoke", "carbon monoxide",
              "co poisoning", "generator", "generators", "fumes", "charcoal", "fire escape",
              "fire extinguisher", "escape route"),
    "#ebike": ("xe điện", "xe máy điện", "xe đạp điện", "ắc quy", "pin xe", "sạc pin", "sạc xe",
               "pin lithium", "e-bike", "ebike", "e-bikes", "electric scooter",
               "electric motorbike", "lithium", "charging"),
    "#power": ("điện", "dây điện", "cột điện", "mất điện", "cúp điện", "điện giật", "cầu dao",
               "bị điện giật", "giật điện", "aptomat", "electricity", "electric", "electrical",
               "electric shock", "electrocuted", "power line", "power lines",
               "wire", "wires", "electrocution", "fuse box", "mains", "power cut", "power cuts",
               "power outage", "blackout", "no power", "no electricity"),
    "#shock": ("điện giật", "bị điện giật", "giật điện", "rò điện", "electric shock",
               "electrocuted", "electrocution"),
    "#water": ("nước sạch", "nước uống", "đun sôi", "bể nước", "clean water", "drinking water",
               "boil", "water tank"),
    "#illness": ("bệnh", "dịch bệnh", "sốt xuất huyết", "tiêu chảy", "muỗi", "đau mắt", "ngứa",
                 "nấm", "dengue", "diarrhoea", "diarrhea", "mosquito", "mosquitoes", "illness",
                 "sick", "disease", "infection", "rash", "buồn nôn", "nausea"),
    "#kit": ("túi khẩn cấp", "túi đồ", "đồ khẩn cấp", "đồ dùng thiết yếu", "dự trữ", "đồ dự trữ",
             "emergency kit", "kit", "supplies", "go bag", "stock up"),
    "#plan": ("kế hoạch", "điểm hẹn", "kế hoạch gia đình", "plan", "meeting point",
              "family plan"),
    "#trees": ("cây đổ", "cây gãy", "fallen tree", "fallen trees", "fallen branches"),
    "#evacuation": ("sơ tán", "di dời", "tránh trú", "nhà tránh trú", "nơi trú", "evacuate",
                    "evacuation", "shelter", "shelters"),
    "#elderly": ("người già", "cụ già", "ông bà", "người cao tuổi", "elderly", "old people",
                 "grandparents", "grandmother", "grandfather", "older people"),
    "#children": ("trẻ em", "trẻ nhỏ", "em bé", "con nhỏ", "đuối nước", "chết đuối", "children",
                  "child", "kids", "kid", "baby", "babies", "drowning", "drown"),
    "#pregnancy": ("bà bầu", "có bầu", "mang bầu", "mang thai", "có thai", "thai phụ",
                   "phụ nữ mang thai", "sắp sinh", "sắp đẻ", "chuyển dạ", "đi đẻ", "sản phụ",
                   "pregnant", "pregnancy", "expecting a baby", "due date", "labour", "labor",
                   "giving birth"),
    "#infant": ("trẻ sơ sinh", "sơ sinh", "con mới đẻ", "cho bú", "cho con bú", "bú mẹ",
                "sữa mẹ", "sữa bột", "sữa công thức", "pha sữa", "bình sữa", "sữa", "newborn",
                "newborns", "infant", "infants", "breastfeeding", "breastfeed", "breast milk",
                "formula", "baby formula", "baby bottle", "bottle feeding"),
    "#disability": ("khuyết tật", "xe lăn", "người khuyết tật", "disability", "disabilities",
                    "disabled", "wheelchair"),
    "#pets": ("vật nuôi", "chó", "mèo", "gia súc", "gia cầm", "trâu bò", "thú cưng", "pet",
              "pets", "dog", "dogs", "cat", "cats", "livestock", "animals"),
    "#boats": ("tàu", "thuyền", "tàu thuyền", "tàu cá", "ghe", "xuồng", "lồng bè", "bè cá",
               "bè nuôi", "nuôi trồng thủy sản", "ngư dân", "đánh cá", "đánh bắt", "ra khơi",
               "neo đậu", "khu neo đậu", "vào bờ", "boat", "boats", "ship", "ships", "vessel",
               "fishing", "fisherman", "fishermen", "fishing boat", "fish farm", "fish cages",
               "anchorage", "moor", "mooring", "at sea"),
    "#outdoor": ("shipper", "giao hàng", "xe ôm", "chạy grab", "tài xế", "bán hàng rong",
                 "hàng rong", "gánh hàng", "thợ xây", "phụ hồ", "công nhân", "công trường",
                 "bốc vác", "làm ngoài trời", "lao động ngoài trời", "ngoài trời", "delivery",
                 "delivery rider", "rider", "courier", "street vendor", "street vendors",
                 "construction", "builder", "builders", "construction worker", "outdoor work",
                 "outdoor workers", "outdoors", "working outside", "work outside"),
    "#rumour": ("tin đồn", "đồn", "tin giả", "tin vịt", "tin thất thiệt", "tin sai",
                "mạng xã hội", "nguồn tin", "tin chính thức", "nguồn chính thức", "thật hay giả",
                "rumour", "rumours", "rumor", "rumors", "fake news", "hoax", "misinformation",
                "social media", "official source", "official warning", "official warnings"),
    "#stress": ("sợ", "sợ hãi", "hoảng sợ", "hoảng loạn", "lo âu", "lo lắng", "mất ngủ",
                "không ngủ được", "ác mộng", "buồn", "đau buồn", "trầm cảm", "sang chấn",
                "ám ảnh", "khủng hoảng", "tâm lý", "mất người thân", "stress", "stressed",
                "anxiety", "anxious", "scared", "afraid", "fear", "grief", "grieving",
                "trauma", "traumatised", "insomnia", "depressed", "depression", "mental health",
                "nightmare", "nightmares"),
    "#numbers": ("số điện thoại", "số khẩn cấp", "gọi số", "gọi ai", "đường dây nóng", "112",
                 "113", "114", "115", "sos", "hotline", "phone number", "which number", "call"),
    "#risk": ("cấp độ rủi ro", "rủi ro", "cấp độ", "risk level", "risk levels", "risk"),
    "#wind": ("cấp gió", "gió giật", "sức gió", "bô pho", "beaufort", "wind level", "wind speed",
              "gusts", "gust", "km/h"),
    "#rain": ("mưa", "mưa to", "mưa lớn", "mưa rất to", "lượng mưa", "rain", "heavy rain",
              "rainfall", "raining", "downpour"),
    "#school": ("trường", "trường học", "học sinh", "giáo viên", "lớp học", "giờ học", "đi học",
                "tan học", "nghỉ học", "buổi học", "school", "schools",
                "pupils", "students", "teacher", "teachers", "classroom"),
    "#market": ("chợ", "tiểu thương", "sạp", "ki ốt", "hàng hóa", "market", "markets", "stall",
                "stalls", "traders", "vendor", "vendors"),
    "#house": ("mái nhà", "mái tôn", "chằng chống", "gia cố", "cửa sổ", "roof", "roofs",
               "windows", "brace", "sandbags"),
    "#threshold": ("bao nhiêu độ", "bao nhiêu mm", "ngưỡng", "how much rain", "how hot",
                   "how cold", "threshold", "thresholds"),
}
# Phrases whose form without diacritics means something else too: they count only when typed
# with diacritics ("đồn" rumour / "dọn" clean up, "sợ" afraid / "số" number, "buồn" sad / "buôn"
# trade, "sữa" milk / "sửa" repair, "khí co" / "khi có" when there is, "cháy" burn / "chạy" run,
# "đê" dyke / "để" to, "trống" drum / "trong" in, "sạp" stall / "sắp" soon, "chợ" market and
# "chó" dog / "cho" for, "chỗ" place).
DIACRITICS_ONLY = {"đồn", "sợ", "buồn", "sữa", "khí co", "ghe", "trống", "đê", "sạp", "mặn",
                   "khói", "cháy", "chợ", "chó"}

# Words of time and state that tell the phase of the question. Phrases override the words inside
# them: "tuần sau" (next week) is before, not after; "trước cổng" (in front of the gate) is no
# phase. Strong cues: when several phases are named, after beats before beats during ("bão sắp
# vào rồi" is before; "sau bão nhà đang dột" is after). A bare "rồi" is a weak cue for now
# ("nước vào nhà rồi"), used only when nothing else names a phase.
PHASE_CUES: dict[str | None, tuple[str, ...]] = {
    "before": ("sắp", "sắp tới", "sắp đến", "sắp vào", "sắp về", "sắp có", "sắp lên",
               "sắp đổ bộ", "chuẩn bị", "trước", "trước khi", "phòng tránh", "phòng ngừa",
               "dự báo", "sẽ", "tuần sau", "tuần tới", "tháng sau", "tháng tới", "năm sau",
               "ngày mai", "mai", "sáng mai", "chiều mai", "tối mai", "đêm mai", "tối nay",
               "đêm nay", "chiều nay", "mùa bão", "mùa mưa", "mùa mưa bão", "mùa khô",
               "before", "prepare", "prepared", "preparing", "preparation", "get ready",
               "coming", "approaching", "ahead", "forecast", "forecasts", "tomorrow", "next week",
               "tonight", "upcoming", "expected", "will"),
    "during": ("sắp sập", "sắp đổ", "sắp vỡ", "sắp chết", "sắp chết đuối", "đang", "bây giờ",
               "giờ này", "lúc này", "ngay bây giờ", "hiện giờ", "hiện nay",
               "trong khi", "giữa", "đang tràn", "during", "now", "right now", "currently",
               "is rising", "rising", "in progress", "coming in", "coming into", "getting in",
               "pouring in", "in the storm", "in a storm", "in the flood", "in a flood"),
    "after": ("sau", "sau khi", "sau đó", "xong", "xong rồi", "đã qua", "qua rồi", "vừa qua",
              "rút rồi", "nước rút", "đã rút", "rút hết", "dọn dẹp", "dọn", "khắc phục", "tan rồi",
              "hết bão", "hết mưa", "hết lũ", "hết ngập", "tạnh", "after", "afterwards",
              "passed", "has passed", "cleanup", "clean up", "cleaning up", "receded",
              "aftermath", "recovery", "is over", "are over", "was over", "s over"),
    None: ("phía sau", "đằng sau", "sau nhà", "sau lưng", "sau này", "hôm sau", "phía trước",
           "đằng trước", "trước cửa", "trước nhà", "trước cổng", "trước mặt", "hôm trước",
           "lần trước", "năm trước", "rút phích", "rút điện", "rút phích cắm", "bao giờ"),
}
WEAK_PHASE_CUES = {"rồi": "during"}  # with diacritics only: "roi" is also "rơi", "rời"
PHASE_TERMS = {"#before", "#during", "#after"}
PHASE_PRIORITY = ("after", "before", "during")
# "sap" is also "sập" (collapse), "se" many words, "mai" also "mái" (roof), "don" also "đồn"
# (rumour), "roi" also "rơi" (fall) and "rời" (leave): without diacritics only longer
# phrases count.
PHASE_DIACRITICS_ONLY = {"sắp", "sẽ", "mai", "dọn", "rồi"}
# Nearest guide of a topic: the hazard's guide of the phase asked for; failing that one for any
# time or of the neighbouring phase; last the opposite phase (before ↔ after). Equally near
# guides are ordered by how well they match.
PHASE_DISTANCE = {("before", "during"): 1, ("during", "after"): 1, ("before", "after"): 2}
PHASE_DISTANCE_ANY = 1
# A question that only names a hazard ("flood", "bão", "sét đánh") asks about what people most
# likely face when they type just that: a storm, a king tide or a drought is announced days ahead,
# the others are noticed when they are here.
HAZARD_ONLY_PHASE = {"storm": "before", "surge": "before", "drought": "before"}
# Groups of people or things with guides of their own.
GROUPS = {"#school", "#market", "#boats", "#outdoor", "#pregnancy", "#infant", "#elderly",
          "#children", "#disability", "#pets"}
HAZARD_CONCEPT = {"storm": "#storm", "flood": "#flood", "river": "#river", "surge": "#surge",
                  "thunderstorm": "#lightning", "heat": "#heat", "cold": "#cold",
                  "drought": "#drought", "fire": "#fire", "landslide": "#landslide"}
CONCEPT_HAZARD = {c: h for h, c in HAZARD_CONCEPT.items()}
STOPWORDS = {
    "là", "gì", "thì", "và", "có", "không", "của", "cho", "tôi", "mình", "em", "anh", "chị",
    "làm", "sao", "thế", "nào", "khi", "bị", "được", "phải", "nên", "cần", "ở", "với", "các",
    "những", "một", "này", "đó", "ạ", "ơi", "hỏi", "ra", "bao nhiêu", "bao giờ", "bao lâu",
    # "báo"/"bảo" of these reads as "bão" (storm) once the marks are gone
    "dự báo", "thông báo", "cảnh báo", "báo cáo", "bảo vệ", "bao gồm", "bảo hiểm",
    "the", "a", "an", "is", "are", "what", "how", "do", "i", "my", "to", "of", "in", "on",
    "for", "should", "can", "we", "you", "it", "and", "or", "with", "at", "be", "there", "me",
    "does", "if", "about",
}
# Words that signal danger now: the emergency numbers go first. A life at risk (a shock, a
# lightning strike, smoke or fumes, a fire, someone unconscious or not breathing) counts too.
DANGER = ("cứu tôi", "cứu với", "cứu em", "cứu mạng", "cứu chúng tôi", "kẹt", "mắc kẹt",
          "sắp sập", "bị sập", "bị đuối nước", "đang đuối nước", "sắp chết đuối", "bị thương",
          "cấp cứu", "bị điện giật", "bị giật điện", "bị sét đánh", "sét đánh trúng",
          "ngạt khí", "bị ngạt", "ngạt khói", "ngộ độc khí", "cháy nhà", "nhà đang cháy",
          "đang bốc cháy", "bất tỉnh", "ngất xỉu", "không thở", "ngừng thở", "tắt thở",
          "bị cuốn trôi", "bị lũ cuốn", "bị nước cuốn",
          "help", "trapped", "stuck", "sos", "is drowning", "are drowning", "injured",
          "collapsing", "electrocuted", "struck by lightning", "hit by lightning", "unconscious",
          "not breathing", "stopped breathing", "on fire", "passed out", "swept away")
DANGER_FOLDED = ("cuu toi", "cuu voi", "cuu em", "mac ket", "bi ket", "sap sap", "sos",
                 "bi duoi nuoc", "cap cuu", "bi dien giat", "bi giat dien", "bi set danh",
                 "ngat khi", "ngat khoi", "chay nha", "nha dang chay", "bat tinh", "ngat xiu",
                 "khong tho", "ngung tho", "tat tho", "bi cuon troi", "bi lu cuon",
                 "bi nuoc cuon")
# "có bị điện giật không" asks whether something is safe: no one is hurt yet.
DANGER_ASKED = {"bi dien giat", "bi giat dien", "bi set danh", "bi ngat"}  # folded
WORD = re.compile(r"[0-9a-zđàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữự"
                  r"ỳýỷỹỵ/]+")


def normalise(text: str) -> str:
    """NFC and lower case: the form diacritic-aware matching uses."""
    return unicodedata.normalize("NFC", text).lower()


def fold(text: str) -> str:
    """Without diacritics (đ → d): the form for text typed without them."""
    text = normalise(text).replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def has_diacritics(text: str) -> bool:
    text = normalise(text)
    return fold(text) != text


def words(text: str) -> list[str]:
    return WORD.findall(text)


def _table(groups: dict, folded: bool, diacritics_only: set[str]) -> dict[tuple[str, ...], tuple]:
    table: dict[tuple[str, ...], tuple] = defaultdict(tuple)
    for value, phrases in groups.items():
        for phrase in phrases:
            if folded and phrase in diacritics_only:
                continue
            key = tuple(words(fold(phrase) if folded else normalise(phrase)))
            if value not in table[key]:
                table[key] += (value,)
    return dict(table)


PHRASES = {f: _table(CONCEPTS, f, DIACRITICS_ONLY) for f in (False, True)}
PHASE_PHRASES = {f: _table(PHASE_CUES, f, PHASE_DIACRITICS_ONLY) for f in (False, True)}
STOP = {False: {normalise(w) for w in STOPWORDS}, True: {fold(w) for w in STOPWORDS}}
LONGEST = max(len(k) for t in (*PHRASES.values(), *PHASE_PHRASES.values()) for k in t)


def _matches(
    tokens: list[str], table: dict[tuple[str, ...], tuple], skip: set[int] = frozenset()
) -> list[tuple[int, int, tuple]]:
    """(start, length, values) of every phrase of the table found in the tokens."""
    found = []
    for i in range(len(tokens)):
        for n in range(1, min(LONGEST, len(tokens) - i) + 1):
            values = table.get(tuple(tokens[i : i + n]))
            # A phrase wholly inside a stop phrase is not one ("bao" of "bao nhiêu").
            if values is not None and not skip.issuperset(range(i, i + n)):
                found.append((i, n, values))
    return found


def _inside(match: tuple[int, int, tuple], other: tuple[int, int, tuple]) -> bool:
    (i, n, _), (j, m, _) = match, other
    return (i, n) != (j, m) and j <= i and i + n <= j + m


def _concepts(tokens: list[str], folded: bool, skip: set[int]) -> list[str]:
    """Concepts of the phrases found. A phrase inside a longer one of other meaning is left out
    ("lũ" of "lũ sông" is not an urban flood, "buồn" of "buồn nôn" not sadness); one of the same
    meaning counts again ("ngập" of "ngập lụt"), so a guide saying it in many words weighs more.
    """
    found = _matches(tokens, PHRASES[folded], skip)
    out: list[str] = []
    for k, match in enumerate(found):
        near = found[max(0, k - LONGEST * LONGEST) : k + LONGEST * LONGEST]
        if any(_inside(match, other) and not set(match[2]) <= set(other[2]) for other in near):
            continue
        out += match[2]
    return out


def _longest(tokens: list[str], table: dict[tuple[str, ...], tuple]) -> list[tuple]:
    """Values of the phrases found, a phrase inside a longer one left out."""
    found = _matches(tokens, table)
    return [m[2] for m in found if not any(_inside(m, other) for other in found)]


def terms(text: str, folded: bool) -> list[str]:
    """Words (stopwords out) plus the concepts their phrases name."""
    form = fold(text) if folded else normalise(text)
    tokens = words(form)
    stop = STOP[folded]
    # Two-word stop phrases ("bao nhiêu") hide their words, so "bao" is not read as "bão".
    skip: set[int] = set()
    for i in range(len(tokens) - 1):
        if f"{tokens[i]} {tokens[i + 1]}" in stop:
            skip.update((i, i + 1))
    out = [t for i, t in enumerate(tokens) if i not in skip and t not in stop]
    # The phases its words name ("#after" for "sau bão"): a guide's words of time weigh with
    # its phase; a question's are replaced by the one phase `phase_of` reads.
    phases = [f"#{p}" for found in _longest(tokens, PHASE_PHRASES[folded]) for p in found if p]
    return out + _concepts(tokens, folded, skip) + phases


def phase_of(text: str) -> str | None:
    """The phase a question asks about, from its words of time and state, or None."""
    folded = not has_diacritics(text)
    tokens = words(fold(text) if folded else normalise(text))
    named = {p for found in _longest(tokens, PHASE_PHRASES[folded]) for p in found}
    for phase in PHASE_PRIORITY:
        if phase in named:
            return phase
    for word, phase in WEAK_PHASE_CUES.items():
        if not folded and word in tokens:
            return phase
    return None


def names_only_a_hazard(text: str) -> bool:
    """True when every word but stopwords is part of a hazard's name ("cold spell what to do")."""
    tokens = words(fold(text))
    stop = STOP[True]
    covered = {k for i, n, values in _matches(tokens, PHRASES[True])
               if any(v in CONCEPT_HAZARD for v in values) for k in range(i, i + n)}
    return bool(covered) and all(t in stop or k in covered for k, t in enumerate(tokens))


def is_danger(text: str) -> bool:
    form = normalise(text)
    tokens = words(form)
    padded = f" {' '.join(tokens)} "
    folded = f" {' '.join(words(fold(text)))} "
    found = [w for w in DANGER if f" {normalise(w)} " in padded]
    if not has_diacritics(text):
        found += [w for w in DANGER_FOLDED if f" {w} " in folded]
    # "có bị sét đánh không" asks about a risk; "bị sét đánh" alone tells of one.
    asked = [w for w in found if fold(w) in DANGER_ASKED and f" co {fold(w)} " in folded]
    if len(found) > len(asked):
        return True
    return tokens[:1] in (["cứu"], ["cuu"])  # "Cứu!" — but not "nghiên cứu" (research)


@dataclass(frozen=True)
class Hit:
    guide_id: str
    score: float


class _Index:
    """BM25 over weighted fields, for one form (with or without diacritics)."""

    def __init__(self, docs: dict[str, dict[str, list[str]]]) -> None:
        self.docs = {gid: {f: Counter(ts) for f, ts in fields.items()}
                     for gid, fields in docs.items()}
        self.lengths = {gid: {f: len(ts) for f, ts in fields.items()}
                        for gid, fields in docs.items()}
        n = max(1, len(docs))
        self.avg = {f: sum(self.lengths[g].get(f, 0) for g in docs) / n or 1.0
                    for f in FIELD_WEIGHTS}
        df: Counter[str] = Counter()
        for fields in docs.values():
            df.update({t for ts in fields.values() for t in ts})
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.vocabulary = set(df)
        self.deletes: dict[str, set[str]] = defaultdict(set)
        for term in self.vocabulary:
            if len(term) >= TYPO_MIN_LENGTH - 1 and not term.startswith("#"):
                for d in _deletions(term):
                    self.deletes[d].add(term)

    def correct(self, token: str) -> list[str]:
        """Vocabulary words one edit away (insert, delete, substitute) from a longer token."""
        if token in self.vocabulary or len(token) < TYPO_MIN_LENGTH or token.startswith("#"):
            return [token]
        found = set(self.deletes.get(token, ()))
        for d in _deletions(token):
            if d in self.vocabulary:
                found.add(d)
            found |= self.deletes.get(d, set())
        return sorted(found) or [token]

    def score(self, query: list[str]) -> dict[str, float]:
        expanded: list[str] = []
        for token in query:
            expanded += self.correct(token)
        scores: dict[str, float] = defaultdict(float)
        for term in set(expanded):
            idf = self.idf.get(term)
            if idf is None:
                continue
            weight = expanded.count(term)
            for gid, fields in self.docs.items():
                for name, counts in fields.items():
                    tf = counts.get(term)
                    if not tf:
                        continue
                    norm = 1 - B + B * self.lengths[gid][name] / self.avg[name]
                    scores[gid] += (weight * FIELD_WEIGHTS[name] * idf * tf * (K1 + 1)
                                    / (tf + K1 * norm))
        return scores


def _deletions(term: str) -> set[str]:
    return {term[:i] + term[i + 1 :] for i in range(len(term))}


class GuideSearch:
    """Built once from the library; `search` is pure and fast."""

    def __init__(self, library: Library) -> None:
        self.library = library
        plain: dict[str, dict[str, list[str]]] = {}
        folded: dict[str, dict[str, list[str]]] = {}
        self.guides: dict[str, Guide] = {}
        # The hazards a guide is about: its own, and those its title names ("An toàn điện khi
        # ngập, bão" is about storms too), so a storm question may still get it first.
        self.topics: dict[str, set[str]] = {}
        self.subjects: dict[str, set[str]] = {}
        for gid in library.ids():
            guide = library.get(gid, "vi")
            assert guide is not None
            self.guides[gid] = guide
            self.topics[gid] = {guide.hazard}
            for target, is_folded in ((plain, False), (folded, True)):
                fields: dict[str, list[str]] = {f: [] for f in FIELD_WEIGHTS}
                for lang in ("vi", "en"):
                    twin = library.guides.get((gid, lang))
                    if twin is None:
                        continue
                    fields["title"] += terms(twin.title, is_folded)
                    fields["keywords"] += terms(" , ".join(twin.keywords), is_folded)
                    fields["body"] += terms(twin.body, is_folded)
                fields["meta"] += [f"#{guide.phase}"] + (
                    [HAZARD_CONCEPT[guide.hazard]] if guide.hazard in HAZARD_CONCEPT else []
                ) + [f"#{a}" for a in guide.audience if a in ("school", "market")]
                target[gid] = fields
            # the Vietnamese title only: English titles use hazard words as verbs ("floods in")
            self.topics[gid] |= {CONCEPT_HAZARD[t] for t in terms(guide.title, folded=False)
                                 if t in CONCEPT_HAZARD}
            # What else its titles name: the group or the subject of a guide not for every
            # household or not for one phase ("chợ", "điện", "cấp gió", "bà bầu").
            self.subjects[gid] = {
                t for lang in ("vi", "en") if (gid, lang) in library.guides
                for t in terms(library.guides[(gid, lang)].title, folded=False)
                if t.startswith("#") and t not in CONCEPT_HAZARD and t not in PHASE_TERMS
            }
        self.plain = _Index(plain)
        self.folded = _Index(folded)

    @staticmethod
    def _names_a_topic(query: list[str]) -> bool:
        return any(t.startswith("#") for t in query)

    def _known_share(self, query: list[str]) -> float:
        plain = [t for t in query if not t.startswith("#")]
        if not plain:
            return 0.0
        return sum(t in self.folded.vocabulary for t in plain) / len(plain)

    def search(self, question: str, limit: int = 4) -> list[Hit]:
        question = normalise(question)[:500]
        phase = phase_of(question)
        folded_terms = [t for t in terms(question, folded=True) if t not in PHASE_TERMS]
        # A typo corrected to a word that names a topic brings that topic ("evacuatoin").
        for token in [t for t in folded_terms if not t.startswith("#")]:
            for fixed in self.folded.correct(token):
                if fixed != token:
                    folded_terms += PHRASES[True].get((fixed,), ())
        phase_term = [f"#{phase}"] if phase else []
        scores = self.folded.score(folded_terms + phase_term)
        named = {CONCEPT_HAZARD[t] for t in folded_terms if t in CONCEPT_HAZARD}
        if has_diacritics(question):
            # Diacritics tell "bão" from "bao": trust the exact form, keep the folded one as
            # a weaker fallback for words typed without marks.
            plain_terms = [t for t in terms(question, folded=False) if t not in PHASE_TERMS]
            exact = self.plain.score(plain_terms + phase_term)
            scores = {gid: exact.get(gid, 0.0) + 0.3 * scores.get(gid, 0.0)
                      for gid in set(exact) | set(scores)}
            named = {CONCEPT_HAZARD[t] for t in plain_terms if t in CONCEPT_HAZARD} or named
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        strong = bool(ranked) and ranked[0][1] >= NO_TOPIC_MIN_SCORE
        if not self._names_a_topic(folded_terms) and not (
            strong and self._known_share(folded_terms) >= NO_TOPIC_MIN_KNOWN
        ):
            return []
        ranked = [(gid, s) for gid, s in ranked if s >= MIN_SCORE]
        if ranked:
            if phase is None and len(named) == 1 and names_only_a_hazard(question):
                phase = HAZARD_ONLY_PHASE.get(next(iter(named)), "during")
            asked = set(plain_terms if has_diacritics(question) else folded_terms)
            first = self._first(ranked, named, phase, asked)
            ranked.sort(key=lambda kv: kv[0] != first)  # stable: the rest keep their order
        return [Hit(gid, round(s, 3)) for gid, s in ranked[:limit]]

    def _first(
        self, ranked: list[tuple[str, float]], named: set[str], phase: str | None,
        asked: set[str],
    ) -> str:
        """The guide to show first: the best match, moved to the question's hazard and phase.

        A guide for one group (a school, a market, shippers, a pregnant woman) comes first only
        when the question names what its title names; so does a guide for one subject at any
        time (electricity, wind levels, carbon monoxide), and then it stays first if it is about
        a hazard the question names (or the question names none). A guide for everyone (hazard
        "general": the elderly, the kit, the numbers) that matches best stays first. Otherwise
        the topic is the best guide's hazard if the question names it, else the named hazard
        with the best-matching guide, narrowed to the guides of a group the question names (a
        school, boats); of those the one nearest the phase asked comes first (PHASE_DISTANCE),
        or with no phase asked the best-matching one: never a guide of another hazard.
        """
        def names_its_subject(gid: str) -> bool:
            return bool(self.subjects[gid] & asked)

        fitting = [(g, s) for g, s in ranked
                   if "household" in self.guides[g].audience or names_its_subject(g)] or ranked
        top = self.guides[fitting[0][0]]
        if top.hazard == "general" or (
            top.phase == "any" and names_its_subject(top.id)
            and (not named or self.topics[top.id] & named)
        ):
            return top.id
        if not named or self.topics[top.id] & named:
            hazard = top.hazard
        else:
            hazard = next((self.guides[g].hazard for g, _ in fitting
                           if self.guides[g].hazard in named), top.hazard)
        same = [(g, s) for g, s in fitting if self.guides[g].hazard == hazard]
        if not same:
            return top.id
        # A group the question names narrows the topic to that group's guides ("fishing boat
        # during a typhoon": the boats' guide, though it is written for before the storm).
        groups = asked & GROUPS
        same = [(g, s) for g, s in same if self.subjects[g] & groups] or same
        if phase is None:
            return same[0][0]
        return min(same, key=lambda gs: (phase_distance(phase, self.guides[gs[0]].phase),
                                         -gs[1]))[0]


def phase_distance(asked: str, phase: str) -> int:
    """How far a guide's phase is from the phase asked: 0 the same, 2 before ↔ after."""
    if asked == phase:
        return 0
    if phase == "any":
        return PHASE_DISTANCE_ANY
    return PHASE_DISTANCE.get((asked, phase), PHASE_DISTANCE.get((phase, asked), 2))
