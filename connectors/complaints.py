"""Complaints 投诉举报: the 12315 hotline, platform complaint desks and public opinion 舆情."""

from __future__ import annotations

from connectors.base import Connector, Context, Row, base_data
from connectors.fields import Fields

CHANNELS = ("12315", "platform", "opinion")
STATUSES = ("open", "resolved", "rejected")


def complaint(f: Fields, ctx: Context) -> Row:
    cid = f.req_code("complaint_id")
    code = f.req_uscc()
    props = {
        "id": cid,
        "uscc": code,
        "channel": f.req_enum("channel", CHANNELS),
        "received_on": f.req_date("received_on"),
        "category": f.text("category", max_len=50),
        "platform_id": f.code("platform_id", required=False),
        "status": f.enum("status", STATUSES, default="open"),
        "resolved_on": f.date("resolved_on"),
        "summary": f.text("summary", max_len=1000),
    }
    data = base_data(f, ctx, cid, props)
    data.update(uscc=code, platform_id=props["platform_id"])
    return Row("complaint", data, (code,))


CONNECTOR = Connector("complaints", {"complaint": complaint})
