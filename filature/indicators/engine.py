"""Evaluating the pack: each indicator's measure, ramp and weight, as one SQL pass per side.

The result is ``indicator_hits`` for the run: value, strength (0..1) and points for every
party where the flag is met at all, with a plain-words detail in both languages.
"""

from __future__ import annotations

import re

import duckdb

from filature.indicators.pack import Indicator, Pack

_PLACEHOLDER = re.compile(r"\{(\w+)(?::\.(\d)([f%]))?\}")


def detail_sql(template: str, value_sql: str) -> str:
    """Compile a detail template (``"{value:.0f} transfers"``, ``{x:.0%}``) to an SQL string
    expression; ``value`` is the measure, other names are feature columns."""
    parts: list[str] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(template):
        literal = template[pos:m.start()].replace("%", "%%")
        name, digits, kind = m.group(1), m.group(2) or "0", m.group(3) or "f"
        column = value_sql if name == "value" else name
        if kind == "%":
            parts.append(literal + f"%.{digits}f%%")
            parts_args = f"(({column}) * 100)::DOUBLE"
        else:
            parts.append(literal + f"%.{digits}f")
            parts_args = f"({column})::DOUBLE"
        parts.append("\0" + parts_args)
        pos = m.end()
    parts.append(template[pos:].replace("%", "%%"))
    fmt = "".join(p for p in parts if not p.startswith("\0"))
    args = [p[1:] for p in parts if p.startswith("\0")]
    quoted = "'" + fmt.replace("'", "''") + "'"
    return f"printf({', '.join([quoted, *args])})" if args else quoted


def _indicator_select(ind: Indicator, table: str, key: str) -> str:
    lo, hi = ind.ramp
    value = f"({ind.measure})"
    strength = f"least(greatest(({value} - {lo}) / {hi - lo}, 0), 1)"
    return (
        f"SELECT '{ind.id}' AS indicator_id, {key} AS party_id, {value}::DOUBLE AS value, "
        f"{strength} AS strength, {strength} * {ind.weight} AS points, "
        f"{detail_sql(ind.detail_en, value)} AS detail_en, "
        f"{detail_sql(ind.detail_fr, value)} AS detail_fr "
        f"FROM {table} WHERE {strength} > 0"
    )


def evaluate_indicators(con: duckdb.DuckDBPyConnection, pack: Pack, run_id: str) -> None:
    """Append the run's indicator hits, both sides, from the feature tables."""
    for side, table, key in (("sender", "sender_features", "sender_id"),
                             ("receiver", "receiver_features", "receiver_id")):
        selects = [_indicator_select(i, table, key) for i in pack.for_side(side)]
        if not selects:
            continue
        con.execute(
            f"""INSERT INTO indicator_hits
                SELECT $run_id, $side, party_id, indicator_id, value, strength, points,
                       detail_en, detail_fr
                FROM ({" UNION ALL ".join(selects)})""",
            {"run_id": run_id, "side": side},
        )
