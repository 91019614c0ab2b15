"""Finding the right guide for a question typed in a resident's own words.

Text is normalised (NFC, lower case) and also folded (no diacritics, đ → d), so "ngập lụt", its NFD
form and "ngap lut" all work; phrases from both languages map to shared concepts (bão ~ storm ~
typhoon), a one-letter typo in a longer word is forgiven, and BM25 ranks the guides with the
title and keywords weighing more than the body.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass

from bot.guides.library import Library

FIELD_WEIGHTS = {"title": 3.0, "keywords": 3.0, "meta": 2.0, "body": 1.0}
K1, B = 1.2, 0.75
MIN_SCORE = 1.5
# A question naming no known topic is answered only on a strong match of most of its words:
# "bóng đá" (football) must not bring up hail ("mưa đá").
NO_TOPIC_MIN_SCORE = 25.0
NO_TOPIC_MIN_KNOWN = 0.6
TYPO_MIN_LENGTH = 5

# Phrases (Vietnamese with diacritics, and English) that mean the same thing.
CONCEPTS: dict[str, tuple[str, ...]] = {
    "#storm": ("bão", "cơn bão", "siêu bão", "gió bão", "áp thấp", "áp thấp nhiệt đới", "atnđ",
               "storm", "storms", "typhoon", "typhoons", "tropical depression", "cyclone"),
    "#flood": ("lụt", "ngập", "ngập lụt", "ngập úng", "úng", "lũ", "nước vào nhà", "nước ngập",
               "nước lên", "flood", "floods", "flooding", "flooded", "inundation", "waterlogged"),
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
              "cold", "cold spell", "freezing", "chilly", "cold snap", "heater", "charcoal"),
    "#power": ("điện", "dây điện", "cột điện", "mất điện", "cúp điện", "điện giật", "cầu dao",
               "aptomat", "electricity", "electric", "electrical", "power line", "power lines",
               "wire", "wires", "electrocution", "fuse box", "mains"),
    "#water": ("nước sạch", "nước uống", "đun sôi", "bể nước", "clean water", "drinking water",
               "boil", "water tank"),
    "#illness": ("bệnh", "dịch bệnh", "sốt xuất huyết", "tiêu chảy", "muỗi", "đau mắt", "ngứa",
                 "nấm", "dengue", "diarrhoea", "diarrhea", "mosquito", "mosquitoes", "illness",
                 "sick", "disease", "infection", "rash"),
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
    "#disability": ("khuyết tật", "xe lăn", "người khuyết tật", "disability", "disabilities",
                    "disabled", "wheelchair"),
    "#pets": ("vật nuôi", "chó", "mèo", "gia súc", "gia cầm", "trâu bò", "thú cưng", "pet",
              "pets", "dog", "dogs", "cat", "cats", "livestock", "animals"),
    "#numbers": ("số điện thoại", "số khẩn cấp", "gọi số", "gọi ai", "đường dây nóng", "112",
                 "113", "114", "115", "sos", "hotline", "phone number", "which number", "call"),
    "#risk": ("cấp độ rủi ro", "rủi ro", "cấp độ", "risk level", "risk levels", "risk"),
    "#wind": ("cấp gió", "gió giật", "sức gió", "bô pho", "beaufort", "wind level", "wind speed",
              "gusts", "gust", "km/h"),
    "#rain": ("mưa", "mưa to", "mưa lớn", "mưa rất to", "lượng mưa", "rain", "heavy rain",
              "rainfall", "raining", "downpour"),
    "#school": ("trường", "trường học", "học sinh", "giáo viên", "lớp học", "school", "schools",
                "pupils", "students", "teacher", "teachers", "classroom"),
    "#market": ("chợ", "tiểu thương", "sạp", "ki ốt", "hàng hóa", "market", "markets", "stall",
                "stalls", "traders", "vendor", "vendors"),
    "#house": ("mái nhà", "mái tôn", "chằng chống", "gia cố", "cửa sổ", "roof", "roofs",
               "windows", "brace", "sandbags"),
    "#threshold": ("bao nhiêu độ", "bao nhiêu mm", "ngưỡng", "how much rain", "how hot",
                   "how cold", "threshold", "thresholds"),
    "#before": ("trước", "trước khi", "chuẩn bị", "sắp", "sắp tới", "sắp đến", "phòng tránh",
                "before", "prepare", "preparing", "coming", "approaching", "ahead"),
    "#during": ("đang", "trong khi", "bây giờ", "lúc này", "ngay bây giờ", "during", "now",
                "right now", "currently"),
    "#after": ("sau", "sau khi", "sau bão", "sau lũ", "dọn dẹp", "khắc phục", "nước rút",
               "after", "cleanup", "clean up", "receded", "aftermath"),
}
PHASES = {"#before", "#during", "#after"}
HAZARD_CONCEPT = {"storm": "#storm", "flood": "#flood", "surge": "#surge",
                  "thunderstorm": "#lightning", "heat": "#heat", "cold": "#cold",
                  "landslide": "#landslide"}
STOPWORDS = {
    "là", "gì", "thì", "và", "có", "không", "của", "cho", "tôi", "mình", "em", "anh", "chị",
    "làm", "sao", "thế", "nào", "khi", "bị", "được", "phải", "nên", "cần", "ở", "với", "các",
    "những", "một", "này", "đó", "ạ", "ơi", "hỏi", "ra", "bao nhiêu", "bao giờ", "bao lâu",
    "the", "a", "an", "is", "are", "what", "how", "do", "i", "my", "to", "of", "in", "on",
    "for", "should", "can", "we", "you", "it", "and", "or", "with", "at", "be", "there", "me",
    "does", "if", "about",
}
# Words that signal danger now: the emergency numbers go first.
DANGER = ("cứu tôi", "cứu với", "cứu em", "cứu mạng", "cứu chúng tôi", "kẹt", "mắc kẹt",
          "sắp sập", "bị sập", "bị đuối nước", "đang đuối nước", "sắp chết đuối", "bị thương",
          "cấp cứu", "help", "trapped", "stuck", "sos", "is drowning", "are drowning", "injured",
          "collapsing")
DANGER_FOLDED = ("cuu toi", "cuu voi", "cuu em", "mac ket", "bi ket", "sap sap", "sos",
                 "bi duoi nuoc", "cap cuu")
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


def _phrases(folded: bool) -> dict[tuple[str, ...], str]:
    table: dict[tuple[str, ...], str] = {}
    for concept, phrases in CONCEPTS.items():
        for phrase in phrases:
            form = fold(phrase) if folded else normalise(phrase)
            table[tuple(words(form))] = concept
    return table


PHRASES = {False: _phrases(False), True: _phrases(True)}
STOP = {False: {normalise(w) for w in STOPWORDS}, True: {fold(w) for w in STOPWORDS}}
LONGEST = max(len(k) for k in PHRASES[False])


def terms(text: str, folded: bool) -> list[str]:
    """Words (stopwords out) plus the concepts their phrases name."""
    form = fold(text) if folded else normalise(text)
    tokens = words(form)
    stop = STOP[folded]
    table = PHRASES[folded]
    out: list[str] = []
    # Two-word stop phrases ("bao nhiêu") hide their words, so "bao" is not read as "bão".
    skip: set[int] = set()
    for i in range(len(tokens) - 1):
        if f"{tokens[i]} {tokens[i + 1]}" in stop:
            skip.update((i, i + 1))
    for i, token in enumerate(tokens):
        if i in skip:
            continue
        if token not in stop:
            out.append(token)
        for n in range(1, LONGEST + 1):
            concept = table.get(tuple(tokens[i : i + n]))
            # A phrase wholly inside a stop phrase is not a concept ("bao" of "bao nhiêu").
            if concept and not skip.issuperset(range(i, min(i + n, len(tokens)))):
                out.append(concept)
    return out


def is_danger(text: str) -> bool:
    form = normalise(text)
    tokens = words(form)
    padded = f" {' '.join(tokens)} "
    if any(f" {normalise(w)} " in padded for w in DANGER):
        return True
    if tokens[:1] in (["cứu"], ["cuu"]):  # "Cứu!" — but not "nghiên cứu" (research)
        return True
    if has_diacritics(text):
        return False
    folded = f" {' '.join(words(fold(text)))} "
    return any(f" {w} " in folded for w in DANGER_FOLDED)


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
        for gid in library.ids():
            for target, is_folded in ((plain, False), (folded, True)):
                fields: dict[str, list[str]] = {f: [] for f in FIELD_WEIGHTS}
                for lang in ("vi", "en"):
                    guide = library.guides.get((gid, lang))
                    if guide is None:
                        continue
                    fields["title"] += terms(guide.title, is_folded)
                    fields["keywords"] += terms(" , ".join(guide.keywords), is_folded)
                    fields["body"] += terms(guide.body, is_folded)
                guide = library.get(gid, "vi")
                assert guide is not None
                fields["meta"] += [f"#{guide.phase}"] + (
                    [HAZARD_CONCEPT[guide.hazard]] if guide.hazard in HAZARD_CONCEPT else []
                ) + [f"#{a}" for a in guide.audience if a in ("school", "market")]
                target[gid] = fields
        self.plain = _Index(plain)
        self.folded = _Index(folded)

    @staticmethod
    def _names_a_topic(query: list[str]) -> bool:
        return any(t.startswith("#") and t not in PHASES for t in query)

    def _known_share(self, query: list[str]) -> float:
        plain = [t for t in query if not t.startswith("#")]
        if not plain:
            return 0.0
        return sum(t in self.folded.vocabulary for t in plain) / len(plain)

    def search(self, question: str, limit: int = 4) -> list[Hit]:
        question = normalise(question)[:500]
        folded_terms = terms(question, folded=True)
        # A typo corrected to a word that names a topic brings that topic ("evacuatoin").
        for token in [t for t in folded_terms if not t.startswith("#")]:
            for fixed in self.folded.correct(token):
                concept = PHRASES[True].get((fixed,))
                if fixed != token and concept:
                    folded_terms.append(concept)
        scores = self.folded.score(folded_terms)
        if has_diacritics(question):
            # Diacritics tell "bão" from "bao": trust the exact form, keep the folded one as
            # a weaker fallback for words typed without marks.
            exact = self.plain.score(terms(question, folded=False))
            scores = {gid: exact.get(gid, 0.0) + 0.3 * scores.get(gid, 0.0)
                      for gid in set(exact) | set(scores)}
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        strong = bool(ranked) and ranked[0][1] >= NO_TOPIC_MIN_SCORE
        if not self._names_a_topic(folded_terms) and not (
            strong and self._known_share(folded_terms) >= NO_TOPIC_MIN_KNOWN
        ):
            return []
        return [Hit(gid, round(s, 3)) for gid, s in ranked[:limit] if s >= MIN_SCORE]
