"""Building blocks of the scenario schema: strict tables, shares and parameter fields.

Every behavioural coefficient of the model is declared with :func:`parameter`, which records
its default (the model's value), allowed range, unit, description and the submodel group it
belongs to; docs/scenario-reference.md and the parameter tables of docs/ODD.md are generated
from these declarations.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

__all__ = ["Governance", "Share", "StrictTable", "parameter", "unit_of", "group_of"]

Share = Annotated[float, Field(ge=0.0, le=1.0)]


class StrictTable(BaseModel):
    """Unknown keys, NaN/infinity and booleans given for numbers are errors, not coerced."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, bool) and cls.model_fields[info.field_name].annotation is not bool:
            raise ValueError("must be a number (integer or decimal) or text, not a boolean")
        return value


class Governance(StrEnum):
    """Who is heard in the entrepreneurial discovery process (EDP)."""

    top_down = "top_down"
    triple_helix = "triple_helix"
    quadruple_helix = "quadruple_helix"


def parameter(
    default: Any,
    description: str,
    *,
    unit: str,
    group: str = "",
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
) -> Any:
    """A behavioural parameter: a pydantic field with its unit and submodel group recorded.

    Parameters
    ----------
    default
        The value the model uses unless a scenario says otherwise.
    description
        One sentence in plain words: what the number does in the model.
    unit
        Unit of the value ("share", "per quarter", "employees", "x" for a multiplier, ...).
    group
        The part of the submodel it belongs to (e.g. "partner search"), used to group the
        generated parameter tables.
    ge, gt, le, lt
        Allowed range.
    """
    return Field(
        default,
        description=description,
        ge=ge,
        gt=gt,
        le=le,
        lt=lt,
        json_schema_extra={"unit": unit, "group": group},
    )


def _extra(field: Any) -> dict[str, Any]:
    extra = getattr(field, "json_schema_extra", None)
    return extra if isinstance(extra, dict) else {}


def unit_of(field: Any) -> str:
    """The unit declared with :func:`parameter` ("" for fields declared otherwise)."""
    return str(_extra(field).get("unit", ""))


def group_of(field: Any) -> str:
    """The submodel group declared with :func:`parameter` ("" if none)."""
    return str(_extra(field).get("group", ""))
