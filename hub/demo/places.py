"""Sichuan administrative divisions (GB/T 2260) and street names for addresses.

Most demo subjects sit in Chengdu (510100 and its districts), the rest in other Sichuan
cities, so that jurisdiction filters by division code have something to separate.
"""

from __future__ import annotations

from typing import Final, NamedTuple


class Division(NamedTuple):
    code: str
    city: str  # 成都 — as used in company names
    name: str  # 武侯区
    abbr: str  # 成武 — in case numbers such as 成武市监立〔2024〕12号


CHENGDU: Final = "510100"

CHENGDU_DISTRICTS: Final = tuple(Division(code, "成都", name, "成" + abbr) for code, name, abbr in (
    ("510104", "锦江区", "锦"), ("510105", "青羊区", "青"), ("510106", "金牛区", "金"),
    ("510107", "武侯区", "武"), ("510108", "成华区", "华"), ("510112", "龙泉驿区", "龙"),
    ("510113", "青白江区", "白"), ("510114", "新都区", "新"), ("510115", "温江区", "温"),
    ("510116", "双流区", "双"), ("510117", "郫都区", "郫"), ("510118", "新津区", "津"),
    ("510121", "金堂县", "堂"), ("510129", "大邑县", "邑"), ("510131", "蒲江县", "蒲"),
    ("510181", "都江堰市", "堰"), ("510182", "彭州市", "彭"), ("510183", "邛崃市", "邛"),
    ("510184", "崇州市", "崇"), ("510185", "简阳市", "简"),
))
CHENGDU_CITY: Final = Division(CHENGDU, "成都", "", "成")
# District weights: the central districts hold most online businesses.
CHENGDU_WEIGHTS: Final = (14, 12, 12, 16, 11, 5, 2, 6, 4, 8, 4, 2, 1, 1, 1, 2, 1, 1, 1, 2)

OTHER_SICHUAN: Final = tuple(Division(code, city, name, abbr) for code, city, name, abbr in (
    ("510302", "自贡", "自流井区", "自"), ("510402", "攀枝花", "东区", "攀"),
    ("510502", "泸州", "江阳区", "泸"), ("510603", "德阳", "旌阳区", "德"),
    ("510703", "绵阳", "涪城区", "绵"), ("510704", "绵阳", "游仙区", "绵"),
    ("510802", "广元", "利州区", "广"), ("510903", "遂宁", "船山区", "遂"),
    ("511002", "内江", "市中区", "内"), ("511102", "乐山", "市中区", "乐"),
    ("511302", "南充", "顺庆区", "南"), ("511402", "眉山", "东坡区", "眉"),
    ("511502", "宜宾", "翠屏区", "宜"), ("511602", "广安", "广安区", "安"),
    ("511702", "达州", "通川区", "达"), ("511802", "雅安", "雨城区", "雅"),
    ("511902", "巴中", "巴州区", "巴"), ("512002", "资阳", "雁江区", "资"),
))

# Counties people are born in (resident-ID prefixes): Sichuan-wide, a few from elsewhere.
BIRTH_DIVISIONS: Final = (
    tuple(d.code for d in CHENGDU_DISTRICTS) + tuple(d.code for d in OTHER_SICHUAN)
    + ("500101", "500103", "530102", "520102", "610113", "420106", "430104")
)

STREETS: Final = ("人民南路", "人民北路", "科华北路", "红星路", "蜀都大道", "天府大道", "交子大道",
                  "益州大道", "建设路", "府青路", "玉林北路", "永丰路", "双楠路", "光华大道",
                  "羊西线", "二环路西一段", "一环路南三段", "锦华路", "东大街", "新华大道",
                  "沙湾路", "营门口路", "站华路", "龙泉大道", "迎宾大道", "文化路", "滨江路",
                  "解放路", "朝阳路", "学府路", "兴业路", "工业大道")
BUILDINGS: Final = ("", "", "", "附", "商务中心", "国际广场", "大厦", "创业园", "电商产业园",
                    "科技园", "写字楼")


def place_name(division: Division) -> str:
    """四川省成都市武侯区 — the prefix of an address in that division."""
    return f"四川省{division.city}市{division.name}"
