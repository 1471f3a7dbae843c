"""Enforcement 执法: administrative cases 案件 and inspections 监督检查."""

from __future__ import annotations

from connectors.base import Connector, Context, Row, base_data
from connectors.fields import FieldError, Fields

OUTCOMES = ("exempt", "light", "penalty")
RESULTS = ("pass", "issues", "fail")
INSPECTION_KINDS = ("random", "targeted", "complaint")


def authority(f: Fields) -> str:
    code = f.req_code("authority", max_len=12)
    if not (len(code) == 6 and code.isdigit()):
        raise FieldError("authority", f"{code!r} is not a 6-digit division code")
    return code


def case(f: Fields, ctx: Context) -> Row:
    cid = f.req_code("case_id")
    code = f.req_uscc()
    outcome = f.enum("outcome", OUTCOMES)
    fine = f.number("fine", low=0, high=1e10)
    if fine and outcome != "penalty":
        raise FieldError("fine", "a fine needs outcome 'penalty'")
    props = {
        "id": cid,
        "uscc": code,
        "opened_on": f.req_date("opened_on"),
        "authority": authority(f),
        "outcome": outcome,
        "decided_on": f.date("decided_on"),
        "fine": fine,
        "legal_basis": f.text("legal_basis", max_len=300),
        "summary": f.text("summary", max_len=1000),
    }
    data = base_data(f, ctx, cid, props)
    data["uscc"] = code
    return Row("case", data, (code,))


def inspection(f: Fields, ctx: Context) -> Row:
    iid = f.req_code("inspection_id")
    code = f.req_uscc()
    props = {
        "id": iid,
        "uscc": code,
        "inspected_on": f.req_date("inspected_on"),
        "authority": authority(f),
        "result": f.req_enum("result", RESULTS),
        "kind": f.enum("kind", INSPECTION_KINDS, default="random"),
        "inspector_ids": f.strings("inspector_ids"),
    }
    data = base_data(f, ctx, iid, props)
    data["uscc"] = code
    return Row("inspection", data, (code,))


CONNECTOR = Connector("enforcement", {"case": case, "inspection": inspection})
