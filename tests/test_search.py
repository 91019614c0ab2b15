"""Question answering: normalisation, synonyms, typos, phases, nearest guide, danger, accuracy.

Accuracy is checked on two sets: tests/data/queries.toml (the search and the keywords were tuned
on it: a high bar) and tests/data/queries_new.toml (written before any tuning and never tuned on:
a floor measured honestly, printed with `.venv/bin/python -m benchmarks.questions --accuracy`).
"""

from __future__ import annotations

import tomllib
import unicodedata
from functools import cache
from pathlib import Path

import pytest

from bot.guides.library import Library
from bot.guides.search import GuideSearch, fold, is_danger, normalise, phase_distance, phase_of
from bot.paths import data_dir

DATA = Path(__file__).parent / "data"
QUERIES = tomllib.loads((DATA / "queries.toml").read_text(encoding="utf-8"))["q"]
NEW_QUERIES = tomllib.loads((DATA / "queries_new.toml").read_text(encoding="utf-8"))["q"]


@cache
def engine() -> GuideSearch:
    return GuideSearch(Library.load(data_dir("content")))


def top(question: str, n: int = 1) -> list[str]:
    return [h.guide_id for h in engine().search(question, limit=n)]


def hazard_of(guide_id: str) -> str:
    guide = engine().library.get(guide_id, "vi")
    assert guide is not None
    return guide.hazard


def test_folding_handles_diacritics_dd_and_nfd() -> None:
    assert fold("Ngập LỤT") == "ngap lut"
    assert fold("Đường điện") == "duong dien"
    nfd = unicodedata.normalize("NFD", "ngập lụt")
    assert nfd != "ngập lụt" and normalise(nfd) == "ngập lụt" and fold(nfd) == "ngap lut"


@pytest.mark.parametrize(
    ("question", "hazard"),
    [
        ("ngap lut", "flood"),
        ("ngập lụt", "flood"),
        (unicodedata.normalize("NFD", "ngập lụt"), "flood"),
        ("flood", "flood"),
        ("bão", "storm"),
        ("bao", "storm"),
        ("storm", "storm"),
        ("typhoon", "storm"),
        ("áp thấp nhiệt đới", "storm"),
    ],
)
def test_plain_words_find_the_right_hazard(question: str, hazard: str) -> None:
    found = top(question)
    assert found, question
    assert hazard_of(found[0]) == hazard


def test_diacritics_tell_bao_nhieu_from_bao() -> None:
    # "bao nhiêu" (how much) is not "bão" (storm).
    assert hazard_of(top("mưa to là bao nhiêu mm")[0]) != "storm"


def test_a_one_letter_typo_in_a_longer_word_is_forgiven() -> None:
    assert top("evacuatoin") == top("evacuation")
    assert top("lightnin") == top("lightning")


def test_nonsense_finds_nothing() -> None:
    assert top("xyzzy qwerty") == []
    assert top("") == []
    assert top("🙂🙂🙂") == []


@pytest.mark.parametrize(
    ("text", "danger"),
    [("cứu tôi với", True), ("cuu toi voi", True), ("bị kẹt trong nhà", True),
     ("nhà sắp sập", True), ("help!", True), ("we are trapped", True), ("SOS", True),
     ("bão sắp tới", False), ("nghiên cứu", False), ("storm forecast", False),
     # A life at risk puts the emergency numbers first too.
     ("chồng tôi bị điện giật", True), ("bi dien giat", True), ("cậu ấy bị sét đánh", True),
     ("bị ngạt khí than", True), ("cháy nhà rồi", True), ("nhà đang cháy", True),
     ("nha dang chay", True), ("ông cụ bất tỉnh", True), ("em bé không thở", True),
     ("he was electrocuted", True), ("struck by lightning", True), ("she is not breathing", True),
     ("our house is on fire", True),
     # Asking whether something is safe is not an emergency; nor are look-alikes without marks.
     ("dùng máy sấy tóc có bị điện giật không", False),
     ("đứng dưới cây có bị sét đánh không", False),
     ("dang chay may phat dien", False), ("ngắt điện trước khi ngập", False),
     ("ngat dien", False)],
)
def test_danger_words(text: str, danger: bool) -> None:
    assert is_danger(text) is danger


@pytest.mark.parametrize(
    ("text", "phase"),
    [("bão sắp vào", "before"), ("bao sap toi", "before"), ("chuẩn bị gì", "before"),
     ("trước khi mưa lớn", "before"), ("dự báo chiều nay có dông", "before"),
     ("tuần sau rét đậm", "before"),  # "tuần sau" is next week, not "after"
     ("ngày mai triều cường", "before"), ("typhoon coming", "before"),
     ("how to prepare", "before"), ("forecast for tomorrow", "before"),
     ("đang ngập", "during"), ("dang mua to", "during"), ("bây giờ phải làm gì", "during"),
     ("lúc này nước đang tràn", "during"), ("nước vào nhà rồi", "during"),
     ("nhà sắp sập", "during"),  # about to collapse: now, not a forecast
     ("flooding right now", "during"), ("the river is rising", "during"),
     ("sau bão", "after"), ("bão qua rồi", "after"), ("nước rút rồi", "after"),
     ("dọn dẹp bùn", "after"), ("đã qua đợt rét", "after"), ("mưa đá vừa xong", "after"),
     ("after the storm", "after"), ("the storm has passed", "after"),
     ("the flood is over", "after"), ("cleanup", "after"),
     # When several phases are named: after beats before beats during.
     ("bão sắp vào rồi", "before"), ("đang chuẩn bị đồ", "before"),
     ("sau bão mái nhà đang dột", "after"),
     # No phase: words that only look like one.
     ("dây điện rơi trước cổng", None), ("day dien roi", None), ("mái nhà dột", None),
     ("cống phía sau nhà", None), ("ngập lụt", None), ("", None)],
)
def test_words_of_time_and_state_pick_the_phase(text: str, phase: str | None) -> None:
    assert phase_of(text) == phase


@pytest.mark.parametrize(
    ("question", "expected"),
    [("sắp có bão", "storm-before"), ("đang có bão to", "storm-during"),
     ("bão qua rồi", "storm-after"), ("bao qua roi", "storm-after"),
     ("the storm is coming", "storm-before"), ("storm right now", "storm-during"),
     ("after the storm", "storm-after"),
     ("sắp triều cường", "surge-before"), ("đang triều cường", "surge-during"),
     ("triều cường rút rồi", "surge-after"),
     ("sắp rét đậm", "cold-before"), ("đang rét đậm", "cold-during"),
     ("hết rét rồi sau đợt rét", "cold-after"),
     ("dự báo nắng nóng", "heat-before"), ("đang nắng nóng", "heat-during"),
     ("sau nắng nóng", "heat-after")],
)
def test_a_hazard_and_a_phase_bring_that_phase_s_guide(question: str, expected: str) -> None:
    assert top(question) == [expected]


# A small library to test the rules apart from the real guides' words: storms have all three
# phases, drought only before and during, fire only an any-time guide and one for after.
FAKE_GUIDES = {
    "st-before": ("storm", "before", "Trước bão: chuẩn bị", ["bão sắp tới", "cây đổ",
                                                           "chặt tỉa cây đổ", "mái tôn"]),
    "st-during": ("storm", "during", "Đang bão: ở trong nhà", ["đang bão"]),
    "st-after": ("storm", "after", "Sau bão: dọn dẹp", ["sau bão"]),
    "dr-before": ("drought", "before", "Trước mùa khô: trữ nước", ["trữ nước", "hạn hán"]),
    "dr-during": ("drought", "during", "Nước nhiễm mặn", ["nước mặn"]),
    "fi-any": ("fire", "any", "Khí CO từ bếp than, máy phát điện", ["ngạt khí", "bếp than"]),
    "fi-after": ("fire", "after", "Có điện lại sau ngập: phòng cháy", ["xe điện", "cháy"]),
    "fl-after": ("flood", "after", "Sau ngập: giếng, bể chứa, nước sạch",
                 ["giếng khô", "giếng cạn", "bơm giếng", "giếng bị khô cạn", "bể chứa cạn",
                  "ổ điện cháy", "chập cháy ổ điện", "ổ điện"]),
    "kit": ("general", "before", "Túi đồ khẩn cấp", ["túi đồ khẩn cấp", "dự trữ"]),
}


@cache
def fake_engine(root: Path) -> GuideSearch:
    for gid, (hazard, phase, title, keywords) in FAKE_GUIDES.items():
        for lang in ("vi", "en"):
            folder = root / "guides" / lang
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{gid}.md").write_text(
                f'+++\nid = "{gid}"\nlang = "{lang}"\ntitle = "{title}"\nshort_title = "{gid}"\n'
                f'hazard = "{hazard}"\n'
                f'phase = "{phase}"\naudience = ["household"]\nkeywords = {keywords!r}\n'
                'source = "Test"\nreviewed = 2026-12-01\nreviewed_by = "Sẵn sàng content team"\n'
                f"+++\n1. **{title}.** {' '.join(keywords)}.\n\nNguồn: Test\n",
                encoding="utf-8",
            )
    library = Library.load(root)
    assert set(library.ids()) == set(FAKE_GUIDES), library.problems
    return GuideSearch(library)


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> GuideSearch:
    return fake_engine(tmp_path_factory.mktemp("library"))


def test_phase_distance_says_what_nearest_means() -> None:
    assert phase_distance("during", "during") == 0
    assert phase_distance("during", "any") == 1
    assert phase_distance("after", "during") == phase_distance("before", "during") == 1
    assert phase_distance("after", "before") == phase_distance("before", "after") == 2


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # The phase asked has a guide of that hazard: it comes first, even when the
        # before-guide matches more of the words.
        ("sắp có bão", "st-before"), ("đang bão", "st-during"), ("bão qua rồi", "st-after"),
        ("sau bão cây đổ đè mái tôn", "st-after"),
        # No drought guide for after: the neighbouring phase (during) is nearer than before,
        # even though the before-guide matches more words.
        ("sau đợt hạn hán, trữ nước thế nào", "dr-during"),
        # No fire guide for during: one for any time or a neighbouring phase, never the
        # during-guide of another hazard.
        ("đang cháy bếp than", "fi-any"),
        # A named hazard beats a better match of another hazard: drought, not the flood guide
        # (whose title names no drought).
        ("hạn hán làm giếng khô cạn, bơm giếng không lên", "dr-before"),
        # A guide for everyone that matches best stays first.
        ("dự trữ túi đồ khẩn cấp trước bão", "kit"),
    ],
)
def test_the_nearest_guide_of_the_question_s_hazard_comes_first(
    fake: GuideSearch, question: str, expected: str
) -> None:
    found = [h.guide_id for h in fake.search(question, limit=3)]
    assert found[:1] == [expected], found


def test_query_set_accuracy() -> None:
    """Top-1 at least 90 %, top-3 at least 98 %, over the set and its NFD spellings."""
    cases = [(q["text"], q["expect"]) for q in QUERIES]
    cases += [(unicodedata.normalize("NFD", t), e) for t, e in cases if fold(t) != t.lower()]
    assert len(QUERIES) >= 80
    ids = set(engine().library.ids())
    assert {e for _, e in cases} <= ids, "the query set names guides that do not exist"
    misses_1, misses_3 = [], []
    for text, expected in cases:
        found = top(text, 3)
        if found[:1] != [expected]:
            misses_1.append((text, expected, found))
        if expected not in found:
            misses_3.append((text, expected, found))
    top1 = 1 - len(misses_1) / len(cases)
    top3 = 1 - len(misses_3) / len(cases)
    assert top1 >= 0.90, f"top-1 {top1:.1%}; misses: {misses_1}"
    assert top3 >= 0.98, f"top-3 {top3:.1%}; misses: {misses_3}"


def test_danger_questions_in_the_set_are_flagged() -> None:
    for q in QUERIES:
        assert is_danger(q["text"]) is bool(q.get("danger", False)), q["text"]


# Measured on 2026-12-01 over the merged library (see README); a floor, not a target: the new
# set is never tuned on, so a drop below it means the search got worse for unseen questions.
NEW_SET_TOP1_FLOOR = 0.80
NEW_SET_TOP3_FLOOR = 0.92


def test_untuned_query_set_keeps_its_measured_floor() -> None:
    ids = set(engine().library.ids())
    cases = [(q["text"], q["expect"]) for q in NEW_QUERIES if q["expect"] in ids]
    assert len(NEW_QUERIES) >= 70
    found = [(expected, top(text, 3)) for text, expected in cases]
    top1 = sum(f[:1] == [e] for e, f in found) / len(NEW_QUERIES)
    top3 = sum(e in f for e, f in found) / len(NEW_QUERIES)
    assert top1 >= NEW_SET_TOP1_FLOOR, f"top-1 {top1:.1%}"
    assert top3 >= NEW_SET_TOP3_FLOOR, f"top-3 {top3:.1%}"
