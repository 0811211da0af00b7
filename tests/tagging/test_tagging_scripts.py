"""Tagging in Chinese, Japanese, Korean, Arabic, Persian, Ukrainian and Italian: terms are found with
their particles, proclitics and endings, not across word boundaries, with offsets into the text as
written; civilian nuclear power and arms sales stay untagged."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.tagging import ROOT, Tagger, load_taxonomy
from newsmon.tagging.matching import normalize
from newsmon.tagging.scripts import arabic_tail_ok, korean_tail_ok, script_of

CONFIG = Path(__file__).resolve().parents[2] / "config" / "topics.yaml"


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load_taxonomy(CONFIG))


def found(tagger: Tagger, text: str) -> list[str]:
    """The configured terms found in `text`, as the text writes them (original offsets)."""
    norm = normalize(text)
    out = []
    for hit in tagger.matcher.find(norm):
        start, end = norm.span(hit.start, hit.end)
        out.append(text[start:end])
    return out


def labels(tagger: Tagger, text: str) -> set[str]:
    return {hit.pattern.label for hit in tagger.matcher.find(normalize(text))}


# -- found with particles, proclitics, inflection --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("朝鲜表示，核裁军的前提是它可以信任美国", "核裁军"),  # running text, no spaces
        ("美朝峰會無協議，北韓提解除制裁換無核化", "无核化"),  # traditional characters
        ("新削减战略武器条约将于明年到期", "新削减战略武器条约"),
        ("韩国向IAEA报告", "IAEA"),  # Latin inside Chinese
        ("北朝鮮は朝鮮半島の非核化に向けた交渉を拒んだ", "非核化"),
        ("日本は核拡散防止条約の再検討会議に出席した", "核拡散防止条約"),
        ("ＩＡＥＡの査察官がイランに入った", "IAEA"),  # full-width letters
        ("북한이 핵확산금지조약을 탈퇴했다", "핵확산금지조약"),  # particle 을
        ("한미는 북한의 비핵화에서는 물러서지 않았다", "비핵화"),  # 에서 + 는
        ("IAEA는 이란을 비판했다", "IAEA"),
        (
            "وقالت إن المعاهدة وللوكالة الدولية للطاقة الذرية دور",
            "الوكالة الدولية للطاقة الذرية",
        ),  # و + ل + ال
        ("اتهمت بالأسلحة الكيميائية", "الأسلحة الكيميائية"),  # ب + ال
        ("برنامج إيران والأَسْلِحَة النَّوَوِيَّة", "الأسلحة النووية"),  # harakat
        ("ايران سانتریفیوژها را خاموش کرد", "سانتریفیوژ"),  # plural ها
        ("غنی سازی اورانیوم ادامه دارد", "غنی\u200cسازی اورانیوم"),  # space for the non-joiner
        ("غني\u200cسازي اورانيوم", "غنی\u200cسازی اورانیوم"),  # Arabic yeh in Persian text
        ("Україна відмовилася від ядерної зброї", "ядерн* збро*"),  # case ending
        (
            "порушення Договору про нерозповсюдження ядерної зброї",
            "Договору про нерозповсюдження ядерної зброї",
        ),
        ("Il disarmo nucleare e le armi nucleari tattiche", "disarmo nucleare"),
    ],
)
def test_term_found(tagger: Tagger, text: str, term: str) -> None:
    assert term in labels(tagger, text)


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("北朝鮮はミサイル開発を続けている", "ミサイル開発"),
        ("潜水艦発射ミサイルの発射を確認した", "潜水艦発射ミサイル"),
        ("朝鲜的导弹计划和核能力", "导弹计划"),
        ("北, 잠수함발사 탄도미사일 시험발사", "잠수함발사 탄도미사일"),
        ("أنهت اختبارات الصواريخ", "اختبارات الصواريخ"),  # missile tests
        ("صواريخ باليستية عابرة للقارات", "صواريخ باليستية عابرة للقارات"),
        ("موشک با قابلیت حمل کلاهک هسته‌ای", "قابلیت حمل کلاهک هسته‌ای"),  # nuclear-capable
        ("اورانیوم با درجه تسلیحاتی", "درجه تسلیحاتی"),  # weapons-grade
        ("بقایای کیک زرد در سوریه", "کیک زرد"),  # yellowcake
        ("برنامه اتمی ایران", "برنامه اتمی"),
        ("Росія нарощує ядерний арсенал", "ядерн* арсенал*"),
        ("Pyongyang e i suoi test missilistici", "test missilistici"),
        ("联合国大会第一委员会通过裁军决议", "第一委员会"),  # context: 联合国大会, 裁军
    ],
)
def test_equivalents_of_english_terms_found(tagger: Tagger, text: str, term: str) -> None:
    """General terms English has (missile tests, nuclear-capable, weapons-grade, yellowcake...) in
    the languages added later, in their usual news spellings."""
    result = tagger.tag(None, text)
    assert term in {ev["term"] for ev in result.evidence}


def test_offsets_point_at_the_text_as_written(tagger: Tagger) -> None:
    """Dropped harakat, tatweel and non-joiners do not shift evidence: it quotes the original."""
    text = "أكد المسؤول أن الأَسْلِحَة النَّوَوِيَّة ليست خيارا"
    assert "الأَسْلِحَة النَّوَوِيَّة" in found(tagger, text)
    body = "مذاکرات هسته‌ای ایران و آژانس بین‌المللی انرژی اتمی درباره غنی‌سازی اورانیوم ادامه دارد. " * 3
    result = tagger.tag("برجام و غنی‌سازی اورانیوم", body)
    assert ROOT in result.topics
    for ev in result.evidence:
        text = body if ev["field"] == "body" else "برجام و غنی‌سازی اورانیوم"
        assert text[ev["start"] : ev["end"]] == ev["text"]
        assert normalize(ev["text"]).lower.replace(" ", "") == normalize(ev["term"]).lower.replace(" ", "")


# -- not found across a word boundary --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("德国放弃核电。", "弃核"),  # 放弃|核电: "renounce nuclear" is not in it
        ("美军售后服务中心开业", "军售"),  # 美军|售后服务
        ("審核查詢系統", "核查"),  # 审核|查询, traditional
        ("結核実験室で検査した", "核実験"),  # 結核|実験|室: a tuberculosis lab
        ("반핵무기운동 단체가 모였다", "핵무기"),  # not the start of the word
        ("핵실험실에서", "핵실험"),  # 실 is no particle
        ("الانتشارية", "الانتشار النووي"),
    ],
)
def test_not_found_across_words(tagger: Tagger, text: str, term: str) -> None:
    assert term not in labels(tagger, text)


# -- hard negatives --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "body"),
    [
        (
            "中国核电装机容量再创新高",
            "国家能源局表示，今年新建核电站六座，核电发电量增长百分之十。核能是清洁能源。" * 3,
        ),
        ("美国批准对台军售", "美国国务院批准向台湾出售战机零件，总值三亿美元。中国外交部表示强烈不满。" * 3),
        (
            "原子力発電所の再稼働を認可",
            "原子力規制委員会は原発の再稼働を認めた。電力会社は核燃料を装填する。" * 3,
        ),
        (
            "한수원, 신규 원전 건설 발표",
            "한국수력원자력은 원전 두 기를 새로 짓는다고 밝혔다. 원자력 발전 비중이 늘어난다." * 3,
        ),
        (
            "افتتاح محطة الطاقة النووية",
            "أعلنت الحكومة تشغيل محطة الطاقة النووية لتوليد الكهرباء. وقالت إن الطاقة الذرية نظيفة." * 3,
        ),
        (
            "نیروگاه اتمی بوشهر برق تولید می‌کند",
            "نیروگاه اتمی بوشهر با ظرفیت کامل برق شبکه سراسری را تامین می‌کند. انرژی هسته‌ای پاک است." * 3,
        ),
        (
            "Україна купує зброю у союзників",
            "Уряд підписав контракт на постачання зброї та артилерійських снарядів для фронту." * 3,
        ),
        (
            "Vendita di armi all'Arabia Saudita",
            "Il governo ha autorizzato la vendita di armi verso Riad. "
            + "Il contratto vale tre miliardi. " * 5,
        ),
        (
            "Il controllo delle armi negli Stati Uniti",
            "Dopo la sparatoria il Congresso discute il controllo delle armi e i fucili d'assalto." * 3,
        ),  # gun control: the arms-control sense only near nuclear, treaty, missile words
        (
            "Il poligono di tiro riapre",
            "Il poligono di tiro comunale riapre dopo i lavori; i soci tornano ad allenarsi." * 3,
        ),
        (
            "La centrale nucleare di Caorso",
            "La centrale nucleare produce energia elettrica; il nucleare civile torna nel dibattito." * 3,
        ),
    ],
)
def test_civilian_nuclear_and_arms_sales_stay_untagged(tagger: Tagger, title: str, body: str) -> None:
    assert tagger.tag(title, body).topics == []


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("朝鲜试射洲际弹道导弹", "朝鲜再次试射洲际弹道导弹，国际原子能机构表示关注朝鲜核计划。"),
        ("北朝鮮が核実験を強行", "北朝鮮は六回目の核実験を行ったと発表した。"),
        ("북한, 핵실험 강행", "북한이 6차 핵실험을 강행했다고 밝혔다."),
        ("إيران ترفع تخصيب اليورانيوم", "أعلنت إيران رفع مستوى تخصيب اليورانيوم في منشأة فوردو."),
        (
            "ایران غنی‌سازی اورانیوم را افزایش داد",
            "ایران اعلام کرد غنی‌سازی اورانیوم را در فردو افزایش داده است.",
        ),
        ("КНДР провела ядерне випробування", "Північна Корея провела ядерне випробування, заявили в МАГАТЕ."),
        (
            "La Corea del Nord conduce un test nucleare",
            "Pyongyang ha lanciato un missile balistico intercontinentale.",
        ),
    ],
)
def test_arms_control_tagged(tagger: Tagger, title: str, body: str) -> None:
    assert ROOT in tagger.tag(title, body).topics


# -- the rules themselves ---------------------------------------------------------------------------


def test_rules() -> None:
    assert korean_tail_ok("을") and korean_tail_ok("에서는") and korean_tail_ok("들을")
    assert not korean_tail_ok("실") and not korean_tail_ok("심")
    assert arabic_tail_ok("") and arabic_tail_ok("ها") and arabic_tail_ok("هاي")
    assert not arabic_tail_ok("يه") and not arabic_tail_ok("يات")
    assert script_of("a") is None and script_of("я") is None
    assert script_of("核") == "cjk" and script_of("カ") == "cjk"
    assert script_of("핵") == "hangul" and script_of("ن") == "arabic"


def test_warm_up_loads_both_segmenters(tagger: Tagger) -> None:
    """So that forked workers share them instead of each loading them on its first story."""
    from newsmon.tagging import scripts

    tagger.warm_up()
    assert scripts.segmenter("zh")._impl is not None
    assert scripts.segmenter("ja")._impl is not None
    assert "核裁军" in scripts.segmenter("zh")._words  # the taxonomy's words are in the dictionary
