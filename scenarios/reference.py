"""Generate ``docs/scenario-reference.md`` from the scenario schema.

The reference lists every field a scenario file may contain (type, default, allowed range,
description with unit), the default parameters of the policy instruments, and the scenarios
and policy mixes shipped with the package. It is derived from :mod:`smartspec.scenarios.schema`
and the bundled TOML files only, so it cannot drift from the code as long as CI runs::

    python -m smartspec.scenarios.reference           # (re)write docs/scenario-reference.md
    python -m smartspec.scenarios.reference --check   # exit 1 if the file is out of date
"""

from __future__ import annotations

import argparse
import functools
import operator
import sys
import tomllib
import types
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from .base import group_of, unit_of
from .behaviour import EdpWeights
from .instruments import Instruments
from .loader import (
    DEFAULT_MIX,
    BundledEntry,
    archetype_regions,
    bundled_mixes,
    bundled_scenarios,
)
from .schema import (
    INSTRUMENTS,
    InstrumentParams,
    PolicyMix,
    Region,
    Scenario,
    default_instruments,
)

__all__ = [
    "DOCS_DIR",
    "ODD",
    "OUTPUT",
    "Section",
    "check",
    "main",
    "parameter_table",
    "render",
    "render_odd",
    "sections",
    "write",
]

#: The repository's ``docs/`` folder (the parent of ``scenarios/`` is the repository root).
DOCS_DIR = Path(__file__).resolve().parent.parent / "docs"
#: The generated file.
OUTPUT = DOCS_DIR / "scenario-reference.md"

COMMAND = "python -m smartspec.scenarios.reference"

_SCALARS: dict[type, str] = {int: "integer", float: "float", str: "string", bool: "boolean"}


@dataclass(frozen=True)
class Section:
    """One TOML table of a scenario file, documented by one pydantic model.

    Attributes
    ----------
    header
        The table header as written in TOML, e.g. ``[regions.government]``; ``""`` for the
        top level.
    anchor
        HTML anchor of the section in the generated document.
    model
        The pydantic model whose fields the table holds.
    """

    header: str
    anchor: str
    model: type[BaseModel]


# ------------------------------------------------------------------ annotation helpers
def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    """Remove ``None`` from a union; return the remaining annotation and whether it was there."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        if len(args) == 1:
            return args[0], optional
        return functools.reduce(operator.or_, args), optional
    return annotation, False


def _unwrap_annotated(annotation: Any) -> tuple[Any, list[Any]]:
    """Split ``Annotated[T, Field(...)]`` into ``T`` and the constraint metadata it carries."""
    if typing.get_origin(annotation) is typing.Annotated:
        base, *extras = typing.get_args(annotation)
        metadata: list[Any] = []
        for extra in extras:
            metadata.extend(extra.metadata if isinstance(extra, FieldInfo) else [extra])
        return base, metadata
    return annotation, []


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _nested_model(annotation: Any) -> tuple[type[BaseModel], str] | None:
    """The model of a sub-table and how it nests: ``"table"``, ``"array"`` or ``"named"``."""
    annotation, _ = _strip_optional(annotation)
    if _is_model(annotation):
        return annotation, "table"
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is list and args and _is_model(args[0]):
        return args[0], "array"
    if origin is dict and len(args) == 2 and _is_model(args[1]):
        return args[1], "named"
    return None


def _type_name(annotation: Any) -> str:
    """A short, TOML-oriented name of a field's type."""
    annotation, optional = _strip_optional(annotation)
    annotation, _ = _unwrap_annotated(annotation)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation in _SCALARS:
        name = _SCALARS[annotation]
    elif isinstance(annotation, type) and issubclass(annotation, Enum):
        name = "string"
    elif origin is typing.Literal:
        name = _SCALARS.get(type(args[0]), "value")
    elif _is_model(annotation):
        name = "table"
    elif origin is list:
        inner = args[0] if args else Any
        name = "array of tables" if _is_model(inner) else f"array of {_type_name(inner)}s"
    elif origin is tuple:
        name = "[" + ", ".join(_type_name(arg) for arg in args) + "]"
    elif origin is dict:
        key, value = args
        value_name = f"{_type_name(value)}s" if not _is_model(value) else "tables"
        name = f"table of {value_name}"
    else:
        name = str(annotation)
    return f"{name}, optional" if optional else name


def _number(value: float | int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return f"{value:g}"


def _toml_value(value: Any) -> str:
    """A default value as it would be written in a TOML file."""
    if value is None:
        return "none"
    if isinstance(value, Enum):
        return f'"{value.value}"'
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool | int | float):
        return _number(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{_key(key)} = {_toml_value(item)}" for key, item in value.items())
        return "{ " + items + " }"
    if isinstance(value, BaseModel):
        return _toml_value(value.model_dump())
    return str(value)


def _key(key: Any) -> str:
    return key.value if isinstance(key, Enum) else str(key)


def _bounds(metadata: Sequence[Any]) -> str:
    """Interval notation for ge/gt/le/lt metadata, e.g. ``[0, 1]``, ``(0, 100]``, ``≥ 0``."""
    low = high = None
    low_closed = high_closed = True
    for item in metadata:
        if isinstance(item, annotated_types.Ge):
            low, low_closed = item.ge, True
        elif isinstance(item, annotated_types.Gt):
            low, low_closed = item.gt, False
        elif isinstance(item, annotated_types.Le):
            high, high_closed = item.le, True
        elif isinstance(item, annotated_types.Lt):
            high, high_closed = item.lt, False
    if low is not None and high is not None:
        opening, closing = "[" if low_closed else "(", "]" if high_closed else ")"
        return f"{opening}{_number(low)}, {_number(high)}{closing}"
    if low is not None:
        return f"{'≥' if low_closed else '>'} {_number(low)}"
    if high is not None:
        return f"{'≤' if high_closed else '<'} {_number(high)}"
    return ""


def _lengths(metadata: Sequence[Any], annotation: Any) -> str:
    for item in metadata:
        if isinstance(item, annotated_types.MinLen) and item.min_length > 0:
            base, _ = _strip_optional(annotation)
            if base is str:
                return "non-empty" if item.min_length == 1 else f"≥ {item.min_length} characters"
            plural = "s" if item.min_length > 1 else ""
            return f"≥ {item.min_length} entr{'ies' if plural else 'y'}"
    return ""


def _choices(annotation: Any) -> list[str]:
    annotation, _ = _strip_optional(annotation)
    annotation, _ = _unwrap_annotated(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return [str(arg) for arg in typing.get_args(annotation)]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [str(member.value) for member in annotation]
    return []


def _allowed(field: FieldInfo) -> str:
    """The allowed range of a field: bounds, lengths, choices, constraints on dict values."""
    annotation = field.annotation
    parts = [_bounds(field.metadata), _lengths(field.metadata, annotation)]
    choices = _choices(annotation)
    if choices:
        parts.append("one of " + ", ".join(f"`{choice}`" for choice in choices))
    base, _ = _strip_optional(annotation)
    if typing.get_origin(base) is dict:
        _, value = typing.get_args(base)
        _, value_metadata = _unwrap_annotated(value)
        if value_metadata and _bounds(value_metadata):
            parts.append(f"each value in {_bounds(value_metadata)}")
    return "; ".join(part for part in parts if part) or "—"


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0].strip() if (text or "").strip() else ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# --------------------------------------------------------------------- sections
def _child_header(parent: str, name: str, kind: str) -> str:
    path = f"{parent.strip('[]')}.{name}" if parent else name
    return {"table": f"[{path}]", "array": f"[[{path}]]", "named": f"[{path}.NAME]"}[kind]


def sections(root: type[BaseModel] = Scenario) -> list[Section]:
    """The TOML tables of a scenario, depth first in field order.

    A model that is already documented (such as :class:`PolicyMix`, used both by ``mix`` and
    ``region_mixes``) gets no second section: its rows link to the first one.

    Parameters
    ----------
    root
        The top-level model.

    Returns
    -------
    list of Section
        The top level first, then every nested table.
    """
    found: list[Section] = [Section("", "top-level", root)]
    seen: set[type[BaseModel]] = {root}

    def visit(model: type[BaseModel], header: str) -> None:
        for name, field in model.model_fields.items():
            nested = _nested_model(field.annotation)
            if nested is None or nested[0] in seen:
                continue
            child, kind = nested
            child_header = _child_header(header, name, kind)
            seen.add(child)
            anchor = child_header.strip("[]").replace(".NAME", "").replace(".", "-")
            found.append(Section(child_header, anchor, child))
            visit(child, child_header)

    visit(root, "")
    return found


def _default(field: FieldInfo, links: dict[type[BaseModel], Section]) -> str:
    nested = _nested_model(field.annotation)
    if nested is not None and nested[0] in links:
        section = links[nested[0]]
        if field.default_factory is not None or field.default is not PydanticUndefined:
            if field.default_factory is default_instruments:
                return f"see [`{section.header}`](#{section.anchor})"
            if field.default_factory is dict:
                return "empty"
            if nested[1] == "named":
                return f"see [defaults](#{section.anchor}-defaults)"
            value = field.default_factory() if field.default_factory else field.default
            if isinstance(value, list):
                return f"{len(value)} with the defaults of [`{section.header}`](#{section.anchor})"
            return f"defaults of [`{section.header}`](#{section.anchor})"
        return "required"
    if field.default_factory is not None:
        return f"`{_toml_value(field.default_factory())}`"
    if field.default is PydanticUndefined:
        return "required"
    if field.default is None:
        return "none"
    return f"`{_toml_value(field.default)}`"


def _description(field: FieldInfo, links: dict[type[BaseModel], Section]) -> str:
    text = field.description or ""
    nested = _nested_model(field.annotation)
    if nested is not None and nested[0] in links:
        section = links[nested[0]]
        doc = _first_line(nested[0].__doc__)
        text = text or doc
        text = f"{text} See [`{section.header}`](#{section.anchor})."
    return _cell(text.strip())


def _instrument_default(model: type[BaseModel], name: str) -> str | None:
    """The default of a common instrument field (unit cost, delay, ...), which lives in the
    ``Instruments`` table's default for that instrument rather than in the field itself."""
    defaults = default_instruments()
    for instrument in INSTRUMENTS:
        params = getattr(defaults, instrument)
        if type(params) is model and name in InstrumentParams.model_fields:
            return f"`{_toml_value(getattr(params, name))}`"
    return None


def _loader_rows(model: type[BaseModel]) -> list[str]:
    """Rows of fields that the loader reads from a file before validation (not in the
    schema): a region's ``archetype``."""
    if model is not Region:
        return []
    names = ", ".join(f"`{name}`" for name in sorted(archetype_regions()))
    return [
        f"| `archetype` | string, optional | none | {names} | — | Start from that bundled "
        "archetype's region: its fields become this entry's defaults and the entry's own "
        "fields override them. Without it every field not written takes the default in this "
        "table, which is the `moderate` archetype's: a region written from scratch starts as a "
        "moderate innovator (RIS 70-100). |"
    ]


def _file_default(model: type[BaseModel], name: str) -> str | None:
    """The default a scenario *file* gets where the loader fills a field the schema requires."""
    if model is Scenario and name == "mix":
        return f'`"{DEFAULT_MIX}"` (a file without `mix`)'
    return None


def _field_table(model: type[BaseModel], links: dict[type[BaseModel], Section]) -> list[str]:
    lines = [
        "| field | type | default | allowed | unit | description |",
        "|---|---|---|---|---|---|",
        *_loader_rows(model),
    ]
    for name, field in model.model_fields.items():
        default = (
            _instrument_default(model, name) or _file_default(model, name) or _default(field, links)
        )
        cells = [
            f"`{name}`",
            _cell(_type_name(field.annotation)),
            default,
            _cell(_allowed(field)),
            _cell(unit_of(field)) or "—",
            _description(field, links),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _edp_defaults(anchor: str) -> list[str]:
    columns = list(EdpWeights.model_fields)
    lines = [
        f'<a id="{anchor}-defaults"></a>',
        "",
        "Default weights (`NAME` is the governance model; each row is normalised to sum 1, "
        "after the citizens' weight is scaled by participation):",
        "",
        "| governance | " + " | ".join(f"`{column}`" for column in columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    weights = Scenario.model_fields["government"].default_factory().edp_weights
    for governance, row in weights.items():
        values = [_number(value) for value in row.vector()]
        lines.append(f"| `{governance.value}` | " + " | ".join(values) + " |")
    return lines


_INTRO = f"""\
<!-- Generated by `{COMMAND}` from scenarios/schema.py and the bundled
     TOML files. Do not edit by hand: change the schema or the files and regenerate. -->

# Scenario reference

> **Generated file: do not edit.** Regenerate it with
> `{COMMAND}` (in a checkout: `.venv/bin/{COMMAND}`).
> CI runs the same command with `--check`, which exits 1 when this file differs from what the
> schema and the bundled files produce.

A scenario is a TOML file validated against `scenarios/schema.py`. One step of the model is one
quarter; money is in M€. Unknown fields are errors. How a file is read (`scenarios/loader.py`):

- `load_scenario(name_or_path)` takes a bundled name (see [bundled scenarios](#bundled-scenarios))
  or a path to a `.toml` file.
- `mix` is either the name of a bundled mix (see [bundled mixes](#bundled-mixes)) or an inline
  `[mix]` table; without it the `baseline` mix applies. `[regions.government]` may name its own
  mix with `mix = "..."` (collected into `region_mixes`).
- A `[[regions]]` entry may say `archetype = "leader"` (any bundled single-region scenario): it
  starts from that scenario's region and the entry's own fields override it. A region without
  `archetype` takes the defaults in [`[[regions]]`](#regions), which are the `moderate`
  archetype's, so it starts as a moderate innovator (RIS 70-100), not as a leader.
- `[instruments.NAME]` tables override single fields of the [instrument
  defaults](#instruments); so do `[government]` and `[peer_review]` for their nested tables.
- Dotted overrides are applied before validation, e.g.
  `load_scenario("emerging", overrides={{"regions.0.firms": 2000}})`,
  `EcosystemModel("emerging", rng=1, steps=20)` or on the command line
  `smartspec run emerging --set regions.0.firms=2000`; `regions.*.government.budget_share` sets a
  field in every region.
- With `knowledge.matrix_csv`, the domains and their proximity come from the CSV file (the path is
  relative to the scenario file) and `knowledge.domains` is set from it.

Ranges use interval notation: `[0, 1]` includes both ends, `(0, 100]` excludes 0.
"""


def _section_block(section: Section, links: dict[type[BaseModel], Section]) -> list[str]:
    doc = _first_line(section.model.__doc__)
    title = f"`{section.header}`" if section.header else "Top level"
    lines = [f'<a id="{section.anchor}"></a>', "", f"## {title}"]
    lines += ["", doc, ""] if doc else [""]
    lines += _field_table(section.model, links)
    if section.model is Instruments:
        lines += [
            "",
            "Each instrument's table has the four common fields (`unit_cost`, `delay`, "
            "`targeting`, `effect`) and the coefficients of its own mechanism.",
        ]
    if section.model is EdpWeights:
        lines += [""] + _edp_defaults(section.anchor)
    if section.model is PolicyMix:
        lines += [
            "",
            "The same table is the content of a mix file in `scenarios/mixes/` (see "
            "[bundled mixes](#bundled-mixes)).",
        ]
    return lines


def _relative(entry: BundledEntry) -> str:
    parts = entry.path.parts
    index = len(parts) - 1 - parts[::-1].index("scenarios")
    return "/".join(parts[index:])


def _scenario_rows(entries: list[BundledEntry]) -> list[str]:
    lines = [
        "| name | file | regions | steps | description |",
        "|---|---|---|---|---|",
    ]
    for entry in entries:
        with entry.path.open("rb") as handle:
            raw = tomllib.load(handle)
        regions = raw.get("regions") or []
        names = ", ".join(str(region.get("name", "Region")) for region in regions)
        steps = raw.get("steps", Scenario.model_fields["steps"].default)
        cells = [f"`{entry.name}`", f"`{_relative(entry)}`", _cell(names), str(steps)]
        cells.append(_cell(entry.description))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _mix_rows(entries: list[BundledEntry]) -> list[str]:
    mixes = []
    for entry in entries:
        with entry.path.open("rb") as handle:
            mixes.append((entry, PolicyMix.model_validate(tomllib.load(handle))))
    lines = ["| name | file | governance | description |", "|---|---|---|---|"]
    for entry, mix in mixes:
        governance = f"`{mix.governance.value}`" if mix.governance else "region's own"
        cells = [f"`{entry.name}`", f"`{_relative(entry)}`", governance, _cell(entry.description)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Budget shares (share of the S3 budget per instrument; a blank cell is 0):",
        "",
        "| instrument | " + " | ".join(f"`{entry.name}`" for entry, _ in mixes) + " |",
        "|---" * (len(mixes) + 1) + "|",
    ]
    for index, name in enumerate(INSTRUMENTS):
        shares = [mix.share_vector()[index] for _, mix in mixes]
        cells = [f"{share:.2f}" if share > 0 else "" for share in shares]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return lines


def _link_text(header: str) -> str:
    return f"`{header}`" if header else "top level"


def _lines() -> Iterator[str]:
    yield _INTRO
    found = sections()
    links = {section.model: section for section in found}
    yield (
        "Contents: "
        + ", ".join(f"[{_link_text(s.header)}](#{s.anchor})" for s in found)
        + ", [bundled scenarios](#bundled-scenarios), [bundled mixes](#bundled-mixes)."
    )
    yield ""
    for section in found:
        yield from _section_block(section, links)
        yield ""
    yield '<a id="bundled-scenarios"></a>'
    yield ""
    yield "## Bundled scenarios"
    yield ""
    yield 'Load by name, e.g. `load_scenario("moderate")` or `EcosystemModel("moderate")`.'
    yield ""
    yield from _scenario_rows(bundled_scenarios())
    yield ""
    yield '<a id="bundled-mixes"></a>'
    yield ""
    yield "## Bundled mixes"
    yield ""
    yield 'Use as `mix = "name"` in a scenario file or `load_scenario(..., mix="name")`.'
    yield ""
    yield from _mix_rows(bundled_mixes())


def render() -> str:
    """The complete Markdown text of the scenario reference.

    Returns
    -------
    str
        The document, ending with one newline.
    """
    return "\n".join(_lines()).rstrip() + "\n"


# ------------------------------------------------------------ ODD parameter tables
#: The ODD document, whose parameter tables are generated here too.
ODD = DOCS_DIR / "ODD.md"
_BEGIN = "<!-- parameters: {key} (generated by `" + COMMAND + "`; do not edit) -->"
_END = "<!-- end of parameters -->"


def _parameter_sections() -> dict[str, tuple[str, type[BaseModel]]]:
    """Table key -> (dotted prefix, model) of every table of behavioural parameters."""
    found: dict[str, tuple[str, type[BaseModel]]] = {
        "knowledge": ("knowledge", Scenario.model_fields["knowledge"].annotation),
        "initial": ("initial", Scenario.model_fields["initial"].annotation),
        "firm": ("firm", Scenario.model_fields["firm"].annotation),
        "university": ("university", Scenario.model_fields["university"].annotation),
        "citizens": ("citizens", Scenario.model_fields["citizens"].annotation),
        "government": ("government", Scenario.model_fields["government"].annotation),
        "dynamics": ("dynamics", Scenario.model_fields["dynamics"].annotation),
        "interregional": ("interregional", Scenario.model_fields["interregional"].annotation),
        "peer_review": ("peer_review", Scenario.model_fields["peer_review"].annotation),
    }
    for name in INSTRUMENTS:
        found[f"instruments.{name}"] = (
            f"instruments.{name}",
            Instruments.model_fields[name].annotation,
        )
    return found


def parameter_table(key: str) -> list[str]:
    """The ODD table of one parameter table: each parameter with its full dotted path,
    default, range, unit and meaning, grouped by the part of the submodel it belongs to."""
    prefix, model = _parameter_sections()[key]
    # Defaults as the model uses them: an instrument's common fields take theirs from the
    # instruments table, every other table's fields have their own.
    defaults = getattr(default_instruments(), key.split(".")[1]) if "." in key else model()
    rows: dict[str, list[str]] = {}
    for name, field in model.model_fields.items():
        default = getattr(defaults, name)
        if isinstance(default, dict | BaseModel):
            value = "see [reference](scenario-reference.md#" + prefix.replace(".", "-") + ")"
        elif default is None:
            value = "none"
        else:
            value = f"`{_toml_value(default)}`"
        cells = [
            f"`{prefix}.{name}`",
            value,
            _cell(_allowed(field)),
            _cell(unit_of(field)) or "—",
            _cell((field.description or "").strip()),
        ]
        rows.setdefault(group_of(field) or "general", []).append("| " + " | ".join(cells) + " |")
    lines = []
    for group, group_rows in rows.items():
        lines += [
            f"*{group}*",
            "",
            "| parameter | default | range | unit | meaning |",
            "|---|---|---|---|---|",
            *group_rows,
            "",
        ]
    return lines[:-1]


def render_odd(text: str) -> str:
    """``text`` (the ODD document) with every generated parameter block brought up to date.

    A block starts with ``<!-- parameters: KEY ... -->`` and ends with ``<!-- end of
    parameters -->``; KEY names a table (``firm``, ``instruments.rd_grants``, ...).
    """
    lines = text.splitlines()
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("<!-- parameters: "):
            key = line.removeprefix("<!-- parameters: ").split(" ", 1)[0]
            out += [_BEGIN.format(key=key), "", *parameter_table(key), "", _END]
            while index < len(lines) and lines[index] != _END:
                index += 1
        else:
            out.append(line)
        index += 1
    return "\n".join(out) + "\n"


def odd_keys(text: str) -> list[str]:
    """The parameter tables the ODD document shows."""
    return [
        line.removeprefix("<!-- parameters: ").split(" ", 1)[0]
        for line in text.splitlines()
        if line.startswith("<!-- parameters: ")
    ]


def write(path: Path = OUTPUT, odd: Path = ODD) -> bool:
    """Write the reference to ``path`` and refresh the parameter tables of ``odd``.

    Parameters
    ----------
    path
        Target file; its folder is created if needed.
    odd
        The ODD document (left alone if it does not exist).

    Returns
    -------
    bool
        Whether a file changed.
    """
    changed = False
    text = render()
    if not (path.is_file() and path.read_text(encoding="utf-8") == text):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        changed = True
    if odd.is_file():
        current = odd.read_text(encoding="utf-8")
        updated = render_odd(current)
        if updated != current:
            odd.write_text(updated, encoding="utf-8")
            changed = True
    return changed


def check(path: Path = OUTPUT, odd: Path = ODD) -> bool:
    """Whether the reference on disk and the ODD's parameter tables are up to date.

    Parameters
    ----------
    path
        The reference file to compare.
    odd
        The ODD document.

    Returns
    -------
    bool
        ``True`` when both are up to date.
    """
    reference_ok = path.is_file() and path.read_text(encoding="utf-8") == render()
    odd_ok = not odd.is_file() or render_odd(odd.read_text(encoding="utf-8")) == odd.read_text(
        encoding="utf-8"
    )
    return reference_ok and odd_ok


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write the reference and the ODD's parameter tables, or with ``--check``
    verify them.

    Parameters
    ----------
    argv
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success; 1 when ``--check`` finds a file missing or out of date.
    """
    parser = argparse.ArgumentParser(
        prog=COMMAND.removeprefix("python -m "),
        description="Generate docs/scenario-reference.md and the parameter tables of "
        "docs/ODD.md from the scenario schema.",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if a file on disk is out of date"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"target (default: {OUTPUT})")
    args = parser.parse_args(argv)
    if args.check:
        if check(args.output):
            return 0
        print(f"{args.output} or {ODD} is out of date: run `{COMMAND}`", file=sys.stderr)
        return 1
    changed = write(args.output)
    print(f"{'wrote' if changed else 'unchanged'}: {args.output}, {ODD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
