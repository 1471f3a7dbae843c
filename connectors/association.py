"""Association feed 行业协会: associations, memberships and credit evaluations 信用评价."""

from __future__ import annotations

from connectors.base import Connector, Context, Row, base_data
from connectors.fields import FieldError, Fields

GRADES = ("AAA", "AA", "A", "B", "C")


def association(f: Fields, ctx: Context) -> Row:
    aid = f.req_code("association_id")
    props = {"id": aid, "name": f.req_text("name", 200), "uscc": f.uscc(required=False)}
    return Row("association", base_data(f, ctx, aid, props))


def membership(f: Fields, ctx: Context) -> Row:
    aid = f.req_code("association_id")
    code = f.req_uscc()
    data = base_data(f, ctx, f"{code}>{aid}",
                     {"start": f.req_date("joined_on"), "end": f.date("left_on")})
    data.update(uscc=code, association_id=aid)
    return Row("membership", data, (code,))


def evaluation(f: Fields, ctx: Context) -> Row:
    eid = f.req_code("evaluation_id")
    aid = f.req_code("association_id")
    code = f.req_uscc()
    grade = f.req_code("grade", max_len=3).upper()
    if grade not in GRADES:
        raise FieldError("grade", f"{grade!r} is not one of: {', '.join(GRADES)}")
    issued, valid_to = f.req_date("issued_on"), f.date("valid_to")
    if valid_to is not None and valid_to < issued:
        raise FieldError("valid_to", f"{valid_to} is before issued_on {issued}")
    props = {
        "id": eid,
        "association_id": aid,
        "uscc": code,
        "grade": grade,
        "score": f.number("score", low=0, high=100),
        "issued_on": issued,
        "valid_to": valid_to,
        "shared_with": f.strings("shared_with"),
    }
    data = base_data(f, ctx, eid, props)
    data.update(uscc=code, association_id=aid)
    return Row("evaluation", data, (code,))


CONNECTOR = Connector("association", {
    "association": association,
    "membership": membership,
    "evaluation": evaluation,
})
