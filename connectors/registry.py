"""Business registry feed 登记注册: subjects, people and their roles, shareholdings,
branches, registration changes, annual reports, licences."""

from __future__ import annotations

from typing import Any

from connectors.base import Connector, Context, Row, base_data
from connectors.fields import FieldError, Fields
from hub.identity import pii, uscc

KINDS = ("enterprise", "individual")
STATUSES = ("active", "revoked", "cancelled", "abnormal")
ROLES = ("legal_representative", "shareholder", "executive")
LICENCE_TYPES = ("food_business", "food_production", "drug_retail", "medical_device",
                 "cosmetics", "tobacco_retail", "other")


def phone_ref(f: Fields, name: str, ctx: Context) -> dict[str, str] | None:
    raw = f.text(name)
    if raw is None:
        return None
    try:
        digits = pii.normalize_phone(raw)
    except ValueError as exc:
        raise FieldError(name, str(exc)) from None
    return {"key": pii.keyed_hash(ctx.pii_key, "phone:" + digits),
            "masked": pii.mask_phone(digits)}


def address_ref(f: Fields, name: str) -> dict[str, str] | None:
    text = f.text(name, max_len=300)
    if text is None:
        return None
    # Business addresses are public registration data; the key only has to be stable.
    return {"key": pii.keyed_hash(b"address", text.replace(" ", "")), "text": text}


def subject(f: Fields, ctx: Context) -> Row:
    code = f.req_uscc()
    props = {
        "uscc": code,
        "name": f.req_text("name", 200),
        "kind": f.req_enum("kind", KINDS),
        "division": uscc.division(code),
        "registered_on": f.req_date("registered_on"),
        "status": f.enum("status", STATUSES, default="active"),
        "industry": f.text("industry", max_len=100),
        "stub": False,
    }
    data = base_data(f, ctx, code, props)
    data["address"] = address_ref(f, "address")
    data["phone"] = phone_ref(f, "phone", ctx)
    return Row("subject", data, (code,))


def role(f: Fields, ctx: Context) -> Row:
    code = f.req_uscc()
    kind = f.req_enum("role", ROLES)
    props: dict[str, Any] = {"start": f.date("start_on"), "end": f.date("end_on")}
    if kind == "shareholder":
        props["share"] = f.number("share", low=0, high=100)
    if kind == "executive":
        props["title"] = f.text("title", max_len=50)
    holder_uscc = f.uscc("holder_uscc", required=False)
    data: dict[str, Any]
    if holder_uscc is not None:
        if kind != "shareholder":
            raise FieldError("holder_uscc", "only a shareholder can be a company")
        data = base_data(f, ctx, f"{holder_uscc}>{code}", props)
        data.update(uscc=code, holder_uscc=holder_uscc)
        return Row("role:shareholder:subject", data, (code, holder_uscc))
    number = f.resident_id("person_id")
    name = f.req_text("person_name", 50)
    person_key = pii.keyed_hash(ctx.pii_key, "rid:" + number)
    data = base_data(f, ctx, f"{person_key}>{code}", props)
    data.update(uscc=code, person={"key": person_key, "name": name,
                                   "id_masked": pii.mask_id(number)},
                phone=phone_ref(f, "person_phone", ctx))
    return Row(f"role:{kind}:person", data, (code,))


def branch(f: Fields, ctx: Context) -> Row:
    code = f.req_uscc()
    parent = f.req_uscc("parent_uscc")
    if parent == code:
        raise FieldError("parent_uscc", "a subject cannot be its own branch")
    data = base_data(f, ctx, f"{code}>{parent}",
                     {"start": f.date("start_on"), "end": f.date("end_on")})
    data.update(uscc=code, parent_uscc=parent)
    return Row("branch", data, (code, parent))


def registration_change(f: Fields, ctx: Context) -> Row:
    code = f.req_uscc()
    published = f.boolean("published", default=False)
    props = {
        "change_id": f.req_code("change_id"),
        "changed_on": f.req_date("changed_on"),
        "item": f.req_text("item", 100),
        "before": f.text("before"),
        "after": f.text("after"),
        "published": published,
        "published_on": f.date("published_on"),
    }
    data = base_data(f, ctx, str(props["change_id"]), props)
    data["uscc"] = code
    return Row("registration_change", data, (code,))


def annual_report(f: Fields, ctx: Context) -> Row:
    code = f.req_uscc()
    year = f.integer("year", low=1990, high=2100)
    props = {"year": year, "filed_on": f.date("filed_on"), "due_on": f.date("due_on"),
             "uscc": code}
    data = base_data(f, ctx, f"{code}/{year}", props)
    data["uscc"] = code
    return Row("annual_report", data, (code,))


def licence(f: Fields, ctx: Context) -> Row:
    code = f.req_uscc()
    number = f.req_code("licence_no")
    kind = f.req_enum("licence_type", LICENCE_TYPES)
    valid_from, valid_to = f.req_date("valid_from"), f.req_date("valid_to")
    if valid_to < valid_from:
        raise FieldError("valid_to", f"{valid_to} is before valid_from {valid_from}")
    props = {"licence_no": number, "licence_type": kind, "valid_from": valid_from,
             "valid_to": valid_to, "uscc": code}
    data = base_data(f, ctx, f"{kind}/{number}", props)
    data["uscc"] = code
    return Row("licence", data, (code,))



CONNECTOR = Connector("registry", {
    "subject": subject,
    "role": role,
    "branch": branch,
    "registration_change": registration_change,
    "annual_report": annual_report,
    "licence": licence,
})
