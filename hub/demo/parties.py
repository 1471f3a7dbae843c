"""The demo's parties: regulators, the nine platforms, the three associations.

Feeds name platforms and associations by their own ids (``plat-01``), the hub's access
policy names parties (``party-plat-01``); ``parties.json`` ties the two together so that
a demo loader can create the parties the data implies. All names are invented.
"""

from __future__ import annotations

from typing import Any, Final, NamedTuple

from hub.demo.places import CHENGDU, CHENGDU_DISTRICTS


class Platform(NamedTuple):
    platform_id: str
    name: str
    operator: str  # the operating company's name (a registry subject)
    kind: str
    weight: int  # share of stores
    shop_prefix: str  # the platform's own shop-id style


PLATFORMS: Final = (
    Platform("plat-01", "蓉品直播", "成都蓉品网络科技有限公司", "live_stream", 22, "RP"),
    Platform("plat-02", "天府优选", "四川天府优选电子商务有限公司", "marketplace", 20, "TF"),
    Platform("plat-03", "锦里集市", "成都锦里集市信息技术有限公司", "classifieds", 12, "JL"),
    Platform("plat-04", "熊猫快购", "成都熊猫快购科技有限公司", "marketplace", 12, "XM"),
    Platform("plat-05", "巴蜀好货", "四川巴蜀好货供应链管理有限公司", "live_stream", 10, "BS"),
    Platform("plat-06", "川味到家", "成都川味到家网络服务有限公司", "food_delivery", 10, "CW"),
    Platform("plat-07", "芙蓉二手", "成都芙蓉二手网络科技有限公司", "classifieds", 6, "FR"),
    Platform("plat-08", "西岭云仓", "四川西岭云仓供应链科技有限公司", "b2b", 4, "XL"),
    Platform("plat-09", "宽窄甄选", "成都宽窄甄选电子商务有限公司", "marketplace", 4, "KZ"),
)
PLATFORM_WEIGHTS: Final = tuple(p.weight for p in PLATFORMS)


class Association(NamedTuple):
    association_id: str
    name: str
    categories: frozenset[str]  # product categories whose sellers it recruits ("*": all)
    join_rate: float


ASSOCIATIONS: Final = (
    Association("assoc-01", "蓉城网络经营者诚信促进会", frozenset({"*"}), 0.10),
    Association("assoc-02", "天府食品药品行业自律联合会",
                frozenset({"food", "drugs", "medical_devices", "cosmetics"}), 0.22),
    Association("assoc-03", "锦官城信用服务中心", frozenset({"*"}), 0.05),
)

REGULATOR_DIVISIONS: Final = (CHENGDU, "510104", "510107")
_DISTRICT_NAMES: Final = {d.code: d.name for d in CHENGDU_DISTRICTS}


def party_id(owner_id: str) -> str:
    """``plat-01`` → ``party-plat-01``; regulators are ``reg-<division>``."""
    return f"party-{owner_id}"


def shared_with_choices() -> tuple[str, ...]:
    """Party ids an association may share an evaluation with (互通互联互认)."""
    return (tuple(f"reg-{d}" for d in REGULATOR_DIVISIONS)
            + tuple(party_id(p.platform_id) for p in PLATFORMS)
            + tuple(party_id(a.association_id) for a in ASSOCIATIONS))


def parties_document(platform_usccs: dict[str, str], association_usccs: dict[str, str],
                     ) -> dict[str, Any]:
    """The content of ``parties.json``."""
    city_jurisdiction = [CHENGDU, *(d.code for d in CHENGDU_DISTRICTS)]
    regulators = [{"party_id": f"reg-{CHENGDU}", "kind": "regulator",
                   "name": "成都市市场监督管理局", "division": CHENGDU,
                   "jurisdiction": city_jurisdiction}]
    regulators += [{"party_id": f"reg-{code}", "kind": "regulator",
                    "name": f"成都市{_DISTRICT_NAMES[code]}市场监督管理局", "division": code,
                    "jurisdiction": [code]} for code in REGULATOR_DIVISIONS[1:]]
    platforms = [{"party_id": party_id(p.platform_id), "kind": "platform",
                  "platform_id": p.platform_id, "name": p.name, "operator": p.operator,
                  "uscc": platform_usccs[p.platform_id], "platform_kind": p.kind}
                 for p in PLATFORMS]
    associations = [{"party_id": party_id(a.association_id), "kind": "association",
                     "association_id": a.association_id, "name": a.name,
                     "uscc": association_usccs[a.association_id]} for a in ASSOCIATIONS]
    return {"regulators": regulators, "platforms": platforms, "associations": associations}
