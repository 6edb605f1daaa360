"""What a column's name says about the row it links to (foreign-key evidence from names).

:func:`name_strength` ties a column to another table's key by name; :func:`is_reference_name`
and the role words (structural roles such as ``parent`` point into the column's own table,
people roles such as ``rep`` or ``*_by`` at a staff table, :func:`staff_like`) serve the
role-named tier of :mod:`synthohive.metadata.relations`.
"""

from __future__ import annotations

from synthohive.values.names import is_key_name, name_tokens, singular

# roles that link a row to another row of the same table
STRUCT_TOKENS = {
    "parent",
    "predecessor",
    "successor",
    "previous",
    "prev",
    "next",
    "root",
    "ancestor",
}
# people roles that usually link to the same table when it holds people
SELF_PERSON_TOKENS = {
    "manager",
    "mgr",
    "reports",
    "boss",
    "supervisor",
    "superior",
    "mentor",
    "lead",
    "head",
    "referrer",
    "referred",
}
# people roles: the key of a staff/user row
ROLE_TOKENS = SELF_PERSON_TOKENS | {
    "rep",
    "representative",
    "agent",
    "owner",
    "assignee",
    "assigned",
    "approver",
    "approved",
    "reviewer",
    "reviewed",
    "author",
    "creator",
    "created",
    "updated",
    "modified",
    "changed",
    "deleted",
    "submitted",
    "requester",
    "requested",
    "reporter",
    "salesperson",
    "seller",
    "handler",
    "operator",
    "sponsor",
    "recruiter",
    "coach",
    "by",
}
# tables whose rows are staff or user accounts
STAFF_TOKENS = {
    "employee",
    "staff",
    "user",
    "person",
    "people",
    "agent",
    "worker",
    "personnel",
    "member",
    "admin",
    "administrator",
    "operator",
    "rep",
    "representative",
    "salesperson",
}

__all__ = [
    "ROLE_TOKENS",
    "SELF_PERSON_TOKENS",
    "STAFF_TOKENS",
    "STRUCT_TOKENS",
    "is_reference_name",
    "name_strength",
    "staff_like",
]


def name_strength(col: str, parent: str, pk: str, child_pk: list[str]) -> tuple[int, str]:
    """How a column's name ties it to another table's key: 0 names the key, 1 contains the
    parent's name, 9 no tie; with the words for the relation's reason."""
    low, pkl = col.lower(), pk.lower()
    single, plural = singular(parent), parent.lower()
    table_names = {f"{single}_id", f"{plural}_id", f"{single}id", f"{single}_{pkl}"}
    if low in table_names and pkl in {"id", low, f"{single}_id", f"{single}id"}:
        return 0, "column name matches the parent key"
    if [col] == child_pk:  # PK<->PK (one-to-one) needs the parent's name in the column name
        return 9, ""
    if low == pkl and pkl != "id":
        return 0, "column name matches the parent key"
    if is_key_name(col) and ((pkl != "id" and pkl in low) or single in low):
        return 1, f"key-like column name contains {parent!r}"
    if low in {single, plural}:
        return 1, f"column named after table {parent!r}"
    return 9, ""


def is_reference_name(col: str, toks: list[str]) -> bool:
    """Does the label read like a link to a row (``*_id``, ``reports_to``, ``created_by``,
    ``manager``)?"""
    if is_key_name(col):
        return True
    if len(toks) >= 2 and toks[-1] in {"to", "by"}:
        return True
    return len(toks) == 1 and toks[0] in ROLE_TOKENS | STRUCT_TOKENS


def staff_like(table: str) -> bool:
    """Is ``table`` named like a table of staff or user accounts (``employees``, ``users``)?"""
    return bool({singular(t) for t in name_tokens(table)} & STAFF_TOKENS)
