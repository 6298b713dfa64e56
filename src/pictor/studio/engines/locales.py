"""Languages and markets named in a message, as ids of the localization catalog.

Every language is known by its catalog id, English and native names and BCP 47 tag,
plus its name in the other languages people write to us in; every market by its
name and its country's usual names. Two-letter codes count only in capitals (``JA``,
``DE``): in lower case they are ordinary words (``it``, ``de``, ``hi``, ``id``).
Place and language names match exactly (no typo tolerance: ``trench`` is not
``french``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pictor.localization.catalog import load_catalog
from pictor.studio.engines.text import Keyword, Message

# fmt: off
LANGUAGE_NAMES: dict[str, tuple[str, ...]] = {
    "arabic": (
        "arabic", "arabe", "arabisch*", "arabo", "arab", "arapca", "арабск*", "عربي", "العربية",
        "अरबी", "アラビア語", "阿拉伯语", "아랍어", "ภาษาอาหรับ", "tiếng ả rập", "bahasa arab",
    ),
    "chinese_simplified": (
        "chinese", "simplified chinese", "mandarin", "chino", "chinois", "chinesisch*",
        "cinese", "chines", "chinees", "chinski*", "cince", "китайск*", "الصينية", "चीनी",
        "中国語", "中文", "汉语", "简体", "중국어", "ภาษาจีน", "tiếng trung", "bahasa mandarin",
    ),
    "chinese_traditional": (
        "traditional chinese", "cantonese", "繁體", "繁体", "繁體中文", "chino tradicional",
        "chinois traditionnel",
    ),
    "english": (
        "english", "ingles", "anglais", "englisch*", "inglese", "engels", "angielsk*",
        "ingilizce", "английск*", "الإنجليزية", "الانجليزية", "अंग्रेज़ी", "अंग्रेजी", "英語",
        "英语", "英文", "영어", "ภาษาอังกฤษ", "tiếng anh", "bahasa inggris",
    ),
    "french": (
        "french", "frances", "francais", "franzosisch*", "francese", "frances", "frans",
        "francusk*", "fransizca", "французск*", "الفرنسية", "फ्रेंच", "फ़्रेंच", "フランス語",
        "法语", "法文", "프랑스어", "ภาษาฝรั่งเศส", "tiếng pháp", "bahasa prancis",
    ),
    "german": (
        "german", "aleman", "allemand", "deutsch*", "tedesco", "alemao", "duits", "niemiecki*",
        "almanca", "немецк*", "الألمانية", "जर्मन", "ドイツ語", "德语", "德文", "독일어",
        "ภาษาเยอรมัน", "tiếng đức", "bahasa jerman",
    ),
    "hindi": ("hindi", "हिंदी", "हिन्दी", "ヒンディー語", "印地语", "힌디어", "хинди"),
    "indonesian": (
        "indonesian", "indonesio", "indonesien", "indonesisch*", "indonesiano", "indonesio",
        "bahasa indonesia", "индонезийск*", "インドネシア語", "印尼语", "인도네시아어",
    ),
    "italian": (
        "italian", "italiano", "italien", "italienisch*", "italiaans", "wloski*", "italyanca",
        "итальянск*", "الإيطالية", "イタリア語", "意大利语", "이탈리아어", "tiếng ý",
    ),
    "japanese": (
        "japanese", "japones", "japonais", "japanisch*", "giapponese", "japans", "japonsk*",
        "japonca", "японск*", "اليابانية", "जापानी", "日本語", "日语", "日文", "일본어",
        "ภาษาญี่ปุ่น", "tiếng nhật", "bahasa jepang",
    ),
    "korean": (
        "korean", "coreano", "coreen", "koreanisch*", "koreaans", "koreansk*", "korece",
        "корейск*", "الكورية", "कोरियाई", "韓国語", "韩语", "韩文", "한국어", "ภาษาเกาหลี",
        "tiếng hàn", "bahasa korea",
    ),
    "portuguese": (
        "portuguese", "portugues", "portugais", "portugiesisch*", "portoghese", "portugees",
        "portugalsk*", "portekizce", "португальск*", "البرتغالية", "ポルトガル語", "葡萄牙语",
        "포르투갈어", "brazilian portuguese",
    ),
    "russian": (
        "russian", "ruso", "russe", "russisch*", "russo", "russisch", "rosyjsk*", "rusca",
        "русск*", "الروسية", "रूसी", "ロシア語", "俄语", "러시아어", "tiếng nga",
    ),
    "spanish": (
        "spanish", "espanol", "espagnol", "spanisch*", "spagnolo", "espanhol", "spaans",
        "hiszpansk*", "ispanyolca", "испанск*", "الإسبانية", "स्पेनिश", "スペイン語",
        "西班牙语", "스페인어", "ภาษาสเปน", "tiếng tây ban nha", "bahasa spanyol",
    ),
    "thai": (
        "thai", "tailandes", "thailandais", "thailandisch*", "thailandese", "tajsk*", "тайск*",
        "ไทย", "ภาษาไทย", "タイ語", "泰语", "태국어", "tiếng thái",
    ),
    "vietnamese": (
        "vietnamese", "vietnamita", "vietnamien", "vietnamesisch*", "vietnamees", "wietnamsk*",
        "вьетнамск*", "ベトナム語", "越南语", "베트남어", "tiếng việt", "bahasa vietnam",
    ),
}

MARKET_NAMES: dict[str, tuple[str, ...]] = {
    "brazil": (
        "brazil", "brasil", "bresil", "brasilien", "brasile", "brazilie", "brazylia*",
        "бразили*", "البرازيل", "ブラジル", "巴西", "브라질",
    ),
    "china": (
        "china", "mainland china", "chine", "cina", "chiny", "cin", "китай", "الصين", "中国",
        "中國", "중국", "จีน", "trung quốc", "tiongkok",
    ),
    "france": (
        "france", "francia", "frankreich", "franca", "frankrijk", "francja*", "fransa",
        "франци*", "فرنسا", "フランス", "法国", "프랑스",
    ),
    "germany": (
        "germany", "alemania", "allemagne", "deutschland", "germania", "alemanha", "duitsland",
        "niemcy", "niemiec", "almanya", "германи*", "ألمانيا", "ドイツ", "德国", "독일",
    ),
    "india": (
        "india", "inde", "indien", "índia", "indie", "hindistan", "инди*", "الهند", "भारत",
        "インド", "印度", "인도",
    ),
    "indonesia": (
        "indonesia", "indonesie", "indonesien", "indonezja", "endonezya", "индонези*",
        "インドネシア", "印度尼西亚", "印尼", "인도네시아",
    ),
    "italy": (
        "italy", "italia", "italie", "italien", "itália", "italie", "wlochy", "italya",
        "итали*", "إيطاليا", "イタリア", "意大利", "이탈리아",
    ),
    "japan": (
        "japan", "japon", "giappone", "japao", "japonia", "japonya", "япони*", "اليابان",
        "जापान", "日本", "일본", "ญี่ปุ่น", "nhật bản", "jepang",
    ),
    "middle_east": (
        "middle east", "gulf", "the gulf", "gcc", "uae", "emirates", "dubai", "saudi",
        "saudi arabia", "qatar", "kuwait", "bahrain", "oman", "medio oriente", "moyen-orient",
        "naher osten", "ближн* восток*", "الخليج", "الشرق الأوسط", "الإمارات", "السعودية",
        "中东", "中東", "중동",
    ),
    "russia": (
        "russia", "rusia", "russie", "russland", "russia", "rusland", "rosja", "rosji", "rusya",
        "росси*", "روسيا", "ロシア", "俄罗斯", "러시아",
    ),
    "south_korea": (
        "korea", "south korea", "corea", "coree", "korea", "sudkorea", "corea del sur",
        "coreia", "zuid-korea", "korea poludniowa", "kore", "коре*", "كوريا", "韓国", "韩国",
        "한국", "대한민국", "เกาหลี", "hàn quốc",
    ),
    "spain": (
        "spain", "espana", "espagne", "spanien", "spagna", "espanha", "spanje", "hiszpania*",
        "ispanya", "испани*", "إسبانيا", "スペイン", "西班牙", "스페인",
    ),
    "taiwan": ("taiwan", "taïwan", "тайвань", "تايوان", "台湾", "台灣", "대만", "ไต้หวัน"),
    "thailand": (
        "thailand", "tailandia", "thailande", "tailandia", "tajlandia", "tayland", "таиланд*",
        "تايلاند", "タイ王国", "泰国", "태국", "ประเทศไทย",
    ),
    "uk": (
        "uk", "u.k", "united kingdom", "britain", "great britain", "england", "reino unido",
        "royaume-uni", "grossbritannien", "regno unito", "verenigd koninkrijk",
        "wielka brytania", "ingiltere", "великобритани*", "англия", "англии", "بريطانيا",
        "イギリス", "英国", "영국",
    ),
    "usa": (
        "usa", "u.s.a", "united states", "america", "the states", "estados unidos",
        "etats-unis", "usa", "vereinigte staaten", "stati uniti", "verenigde staten",
        "stany zjednoczone", "abd", "сша", "америк*", "الولايات المتحدة", "アメリカ", "美国",
        "美國", "미국", "อเมริกา", "nước mỹ", "thị trường mỹ", "amerika",
    ),
    "vietnam": (
        "vietnam", "viet nam", "việt nam", "wietnam", "вьетнам*", "فيتنام", "ベトナム", "越南",
        "베트남", "เวียดนาม",
    ),
}

#: Everything, as in "in all languages" / "for every market".
ALL_WORDS = (
    "all languages", "every language", "all markets", "every market", "todos los idiomas",
    "toutes les langues", "alle sprachen", "tutte le lingue", "todos os idiomas", "все языки",
    "全言語", "所有语言", "모든 언어",
)
# fmt: on
_ALL = tuple(Keyword.of(w) for w in ALL_WORDS)
_CODE = re.compile(r"\b([A-Z]{2}|[a-z]{2}-(?:[A-Z][a-z]{3}-)?[A-Z]{2})\b")


@dataclass(frozen=True)
class Targets:
    languages: tuple[str, ...]
    markets: tuple[str, ...]


@lru_cache(maxsize=1)
def _tables() -> tuple[tuple[tuple[Keyword, str], ...], tuple[tuple[Keyword, str], ...]]:
    catalog = load_catalog()
    languages: list[tuple[Keyword, str]] = []
    for lang in catalog.languages.values():
        names = {lang.english_name, lang.native_name, lang.id.replace("_", " ")}
        names.update(LANGUAGE_NAMES.get(lang.id, ()))
        languages += [(Keyword.of(n), lang.id) for n in names if n]
    markets: list[tuple[Keyword, str]] = []
    for market in catalog.markets.values():
        names = {market.name, market.id.replace("_", " "), *MARKET_NAMES.get(market.id, ())}
        markets += [(Keyword.of(n), market.id) for n in names if n]
    # Longer names first: "traditional chinese" before "chinese".
    languages.sort(key=lambda pair: -len(pair[0].text))
    return tuple(languages), tuple(markets)


@lru_cache(maxsize=1)
def _codes() -> dict[str, str]:
    """Two-letter code → language id (``ZH`` is simplified Chinese)."""
    codes: dict[str, str] = {}
    for lang in load_catalog().languages.values():
        codes.setdefault(lang.code.split("-")[0].upper(), lang.id)
    return codes


def _found(message: Message, table: tuple[tuple[Keyword, str], ...]) -> list[tuple[int, str]]:
    hits: dict[str, int] = {}
    for keyword, target in table:
        at = message.find(keyword, message.word_set)  # no typo tolerance
        if at is not None and target not in hits:
            hits[target] = at if at >= 0 else -at
    return sorted((at, target) for target, at in hits.items())


def find_targets(message: Message) -> Targets:
    """Languages and markets named in ``message``, in the order they appear."""
    language_table, market_table = _tables()
    languages = [t for _, t in _found(message, language_table)]
    if "chinese_traditional" in languages and "chinese_simplified" in languages:
        languages.remove("chinese_simplified")  # "traditional chinese" also says "chinese"
    markets = [t for _, t in _found(message, market_table)]
    for match in _CODE.finditer(message.raw):
        code = match.group(1).split("-")[0].upper()
        if code == "US" and "usa" not in markets:
            markets.append("usa")  # "the US market": capitals, not the pronoun "us"
        language = _codes().get(code)
        if language and language not in languages:
            languages.append(language)
    if any(message.find(k, message.word_set) is not None for k in _ALL):
        languages = list(load_catalog().languages)
    return Targets(tuple(languages), tuple(markets))
