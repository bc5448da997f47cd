"""Where an ambassador lives: one of Japan's 47 prefectures, or a country (ISO 3166-1).

``parse_residence`` understands 「島根」「島根県」"Shimane" "shimane-ken", 「フランス」"France" "FR".
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import pycountry

# (JIS code, Japanese name, romaji). Codes follow ISO 3166-2:JP ("JP-32" is Shimane).
PREFECTURES: tuple[tuple[int, str, str], ...] = (
    (1, "北海道", "Hokkaido"),
    (2, "青森県", "Aomori"),
    (3, "岩手県", "Iwate"),
    (4, "宮城県", "Miyagi"),
    (5, "秋田県", "Akita"),
    (6, "山形県", "Yamagata"),
    (7, "福島県", "Fukushima"),
    (8, "茨城県", "Ibaraki"),
    (9, "栃木県", "Tochigi"),
    (10, "群馬県", "Gunma"),
    (11, "埼玉県", "Saitama"),
    (12, "千葉県", "Chiba"),
    (13, "東京都", "Tokyo"),
    (14, "神奈川県", "Kanagawa"),
    (15, "新潟県", "Niigata"),
    (16, "富山県", "Toyama"),
    (17, "石川県", "Ishikawa"),
    (18, "福井県", "Fukui"),
    (19, "山梨県", "Yamanashi"),
    (20, "長野県", "Nagano"),
    (21, "岐阜県", "Gifu"),
    (22, "静岡県", "Shizuoka"),
    (23, "愛知県", "Aichi"),
    (24, "三重県", "Mie"),
    (25, "滋賀県", "Shiga"),
    (26, "京都府", "Kyoto"),
    (27, "大阪府", "Osaka"),
    (28, "兵庫県", "Hyogo"),
    (29, "奈良県", "Nara"),
    (30, "和歌山県", "Wakayama"),
    (31, "鳥取県", "Tottori"),
    (32, "島根県", "Shimane"),
    (33, "岡山県", "Okayama"),
    (34, "広島県", "Hiroshima"),
    (35, "山口県", "Yamaguchi"),
    (36, "徳島県", "Tokushima"),
    (37, "香川県", "Kagawa"),
    (38, "愛媛県", "Ehime"),
    (39, "高知県", "Kochi"),
    (40, "福岡県", "Fukuoka"),
    (41, "佐賀県", "Saga"),
    (42, "長崎県", "Nagasaki"),
    (43, "熊本県", "Kumamoto"),
    (44, "大分県", "Oita"),
    (45, "宮崎県", "Miyazaki"),
    (46, "鹿児島県", "Kagoshima"),
    (47, "沖縄県", "Okinawa"),
)

# Names people use that differ from the ISO/gettext ones, and display names we prefer.
_COUNTRY_ALIASES = {
    "アメリカ": "US",
    "アメリカ合衆国": "US",
    "米国": "US",
    "usa": "US",
    "america": "US",
    "イギリス": "GB",
    "英国": "GB",
    "uk": "GB",
    "england": "GB",
    "韓国": "KR",
    "south korea": "KR",
    "korea": "KR",
    "台湾": "TW",
    "taiwan": "TW",
    "中国": "CN",
    "china": "CN",
    "ロシア": "RU",
    "russia": "RU",
    "ベトナム": "VN",
    "vietnam": "VN",
}
_COUNTRY_JA_DISPLAY = {"US": "アメリカ合衆国", "GB": "イギリス", "KR": "韓国", "TW": "台湾", "CN": "中国"}
_COUNTRY_EN_DISPLAY = {"KR": "South Korea", "TW": "Taiwan", "US": "United States", "GB": "United Kingdom"}


@dataclass(frozen=True)
class Residence:
    kind: str  # "prefecture" | "country"
    code: str  # "JP-32" | "FR"


class JapanWithoutPrefecture(Exception):
    """The person said "Japan": we need the prefecture."""


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().lower()
    # Drop macrons and accents: "tōkyō" -> "tokyo".
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", text)


_ROMAJI_SUFFIX = re.compile(r"[\s-]*(prefecture|pref\.?|ken|fu|to|-do)$")


@cache
def _prefecture_index() -> dict[str, int]:
    index: dict[str, int] = {}
    for code, ja, romaji in PREFECTURES:
        index[_norm(ja)] = code
        short = ja[:-1] if ja[-1] in "県府都" else ja
        index[_norm(short)] = code
        if ja == "北海道":
            index["北海"] = code
        index[_norm(romaji)] = code
        index[_norm(romaji).replace("ou", "o").replace("oo", "o")] = code
    index["hokkaidou"] = 1
    index["toukyou"] = 13
    index["kyouto"] = 26
    index["oosaka"] = 27
    index["hyougo"] = 28
    index["kouchi"] = 39
    index["ooita"] = 44
    return index


@cache
def _ja_countries() -> gettext.NullTranslations:
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ja"])
    except OSError:
        return gettext.NullTranslations()


@cache
def _country_index() -> dict[str, str]:
    ja = _ja_countries()
    index: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        names = [country.name, getattr(country, "common_name", None), getattr(country, "official_name", None)]
        for name in names:
            if name:
                index[_norm(name)] = code
                jname = ja.gettext(name)
                if jname != name:
                    index[_norm(jname)] = code
                    index[_norm(re.sub(r"\s*\(.*?\)\s*", "", jname))] = code
                    for inner in re.findall(r"\((.*?)\)", jname):
                        index[_norm(inner)] = code
        index[code.lower()] = code
        index[country.alpha_3.lower()] = code
    for alias, code in _COUNTRY_ALIASES.items():
        index[_norm(alias)] = code
    return index


def parse_residence(text: str) -> Residence | None:
    """A prefecture or a country from free text, or None when it is neither.

    Raises ``JapanWithoutPrefecture`` for "Japan"/「日本」 alone, so the caller can ask which prefecture.
    """
    key = _norm(text)
    if not key:
        return None
    prefectures = _prefecture_index()
    if key in prefectures:
        return Residence("prefecture", f"JP-{prefectures[key]:02d}")
    stripped = _ROMAJI_SUFFIX.sub("", key)
    if stripped in prefectures:
        return Residence("prefecture", f"JP-{prefectures[stripped]:02d}")
    countries = _country_index()
    code = countries.get(key) or countries.get(key.removeprefix("the "))
    if code == "JP":
        raise JapanWithoutPrefecture()
    if code:
        return Residence("country", code)
    return None


def residence_label(kind: str | None, code: str | None, language: str) -> str:
    if not kind or not code:
        return "—"
    if kind == "prefecture":
        number = int(code.split("-")[1])
        _, ja, romaji = PREFECTURES[number - 1]
        return ja if language == "ja" else romaji
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    if language == "ja":
        return _COUNTRY_JA_DISPLAY.get(code) or re.sub(
            r"\s*\(.*?\)", "", _ja_countries().gettext(country.name)
        )
    return _COUNTRY_EN_DISPLAY.get(code) or getattr(country, "common_name", None) or country.name
