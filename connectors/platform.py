"""Platform feed 平台数据: the platform itself, its stores 网店 and their listings 商品."""

from __future__ import annotations

from connectors.base import Connector, Context, Row, base_data
from connectors.fields import Fields

CATEGORIES = ("food", "cosmetics", "drugs", "medical_devices", "e_bikes", "tobacco",
              "off_campus_training", "car_sales", "general")


def platform(f: Fields, ctx: Context) -> Row:
    pid = f.req_code("platform_id")
    props = {"id": pid, "name": f.req_text("name", 100), "uscc": f.uscc(required=False)}
    return Row("platform", base_data(f, ctx, pid, props))


def store(f: Fields, ctx: Context) -> Row:
    pid = f.req_code("platform_id")
    shop = f.req_code("shop_id")
    code = f.req_uscc()
    props = {
        "platform_id": pid,
        "shop_id": shop,
        "uscc": code,
        "name": f.req_text("name", 200),
        "licence_displayed": f.boolean("licence_displayed", default=False),
        "opened_on": f.date("opened_on"),
        "closed_on": f.date("closed_on"),
        "stub": False,
    }
    data = base_data(f, ctx, f"{pid}/{shop}", props)
    data.update(uscc=code, platform_id=pid)
    return Row("store", data, (code,))


def product(f: Fields, ctx: Context) -> Row:
    pid = f.req_code("platform_id")
    shop = f.req_code("shop_id")
    item = f.req_code("product_id")
    props = {
        "platform_id": pid,
        "product_id": item,
        "title": f.req_text("title", 300),
        "category": f.req_enum("category", CATEGORIES),
        "price": f.number("price", low=0, high=1e9),
        "listed_on": f.date("listed_on"),
        "delisted_on": f.date("delisted_on"),
    }
    data = base_data(f, ctx, f"{pid}/{item}", props)
    data.update(store_key=f"{pid}/{shop}", platform_id=pid, shop_id=shop)
    return Row("product", data)


CONNECTOR = Connector("platform", {"platform": platform, "store": store, "product": product})
