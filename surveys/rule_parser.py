"""Parse the `scoring:` block of an instrument file and check it against the items.

Checks: every referenced item or scale exists, every item is scored by some scale and keyed the same
way wherever it is used, reverse keying maps the option values onto themselves, PROMIS tables have a
row for every possible raw sum, bands and descriptors cover every possible score.
"""

from __future__ import annotations

import re

from surveys.model import Item
from surveys.reader import Reader
from surveys.rules import (
    RULE_NAMES,
    Band,
    RuleName,
    ScaleRule,
    ScoreField,
    SummaryComponent,
    TableRow,
    ZNorm,
)

# Keys each rule accepts besides `id` and `rule`.
RULE_KEYS: dict[RuleName, tuple[str, ...]] = {
    "sum": ("items", "reverse", "bands", "keying"),
    "mean": ("items", "reverse", "min_answered", "bands", "keying"),
    "promis_table": ("items", "reverse", "table"),
    "single_item": ("item", "descriptors", "bands"),
    "promis_summary": ("components", "z", "decimals"),
}
# The score field a z-score may read from a scale of each rule.
Z_FIELDS: dict[RuleName, ScoreField] = {
    "promis_table": "t",
    "single_item": "raw",
    "sum": "raw",
    "mean": "mean",
}
_SCALE_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def parse_scoring(value: object, items: tuple[Item, ...], r: Reader) -> tuple[ScaleRule, ...]:
    m = r.mapping(value, "scoring", ("scales",))
    raw_scales = r.sequence(r.required(m, "scales", "scoring"), "scoring.scales")
    by_id = {it.id: it for it in items}
    scales: list[ScaleRule] = []
    for i, entry in enumerate(raw_scales):
        scales.append(_scale(entry, f"scoring.scales[{i}]", by_id, scales, r))
    _check_item_use(items, scales, r)
    return tuple(scales)


def _scale(
    entry: object, path: str, items: dict[str, Item], earlier: list[ScaleRule], r: Reader
) -> ScaleRule:
    head = r.mapping(entry, path)
    rule_name = r.string(r.required(head, "rule", path), f"{path}.rule")
    rule = next((n for n in RULE_NAMES if n == rule_name), None)
    if rule is None:
        r.fail(f"{path}.rule", f"unknown rule {rule_name!r} (known: {', '.join(RULE_NAMES)})")
    m = r.mapping(entry, path, ("id", "rule", *RULE_KEYS[rule]))
    scale_id = r.string(r.required(m, "id", path), f"{path}.id")
    if not _SCALE_ID.match(scale_id):
        r.fail(f"{path}.id", f"{scale_id!r} is not a valid scale id (a-z, 0-9, _)")
    if any(s.id == scale_id for s in earlier):
        r.fail(f"{path}.id", f"duplicate scale id {scale_id!r}")
    if rule == "promis_summary":
        return _summary(m, path, scale_id, earlier, r)
    if rule == "single_item":
        return _single_item(m, path, scale_id, items, r)

    item_ids = r.strings(r.required(m, "items", path), f"{path}.items")
    for k, item_id in enumerate(item_ids):
        if item_id not in items:
            r.fail(f"{path}.items[{k}]", f"unknown item {item_id!r}")
    reverse, reverse_from = _reverse(m, path, item_ids, items, r)
    scale = ScaleRule(
        id=scale_id, rule=rule, items=item_ids, reverse=reverse, reverse_from=reverse_from
    )
    low, high = _score_range(scale, items)
    min_answered = None
    if "min_answered" in m:
        min_answered = r.integer(m["min_answered"], f"{path}.min_answered")
        if not 1 <= min_answered <= len(item_ids):
            r.fail(f"{path}.min_answered", f"must be between 1 and {len(item_ids)}")
    table: dict[int, TableRow] = {}
    if rule == "promis_table":
        table = _table(r.required(m, "table", path), f"{path}.table", low, high, r)
    bands = _bands(m.get("bands"), f"{path}.bands", r)
    as_answered = False
    if "keying" in m:
        keying = r.string(m["keying"], f"{path}.keying")
        if keying != "as_answered":
            r.fail(f"{path}.keying", f"unknown keying {keying!r} (known: as_answered)")
        if reverse:
            r.fail(f"{path}.keying", "as_answered cannot be combined with reverse")
        as_answered = True
    return ScaleRule(
        id=scale_id,
        rule=rule,
        items=item_ids,
        reverse=reverse,
        reverse_from=reverse_from,
        min_answered=min_answered,
        bands=bands,
        table=table,
        as_answered=as_answered,
    )


def _reverse(
    m: dict[str, object], path: str, item_ids: tuple[str, ...], items: dict[str, Item], r: Reader
) -> tuple[tuple[str, ...], int | None]:
    if "reverse" not in m:
        return (), None
    rpath = f"{path}.reverse"
    rm = r.mapping(m["reverse"], rpath, ("items", "from"))
    reverse = r.strings(r.required(rm, "items", rpath), f"{rpath}.items")
    reverse_from = r.integer(r.required(rm, "from", rpath), f"{rpath}.from")
    for k, item_id in enumerate(reverse):
        if item_id not in item_ids:
            r.fail(f"{rpath}.items[{k}]", f"{item_id!r} is not one of this scale's items")
        values = {o.value for o in items[item_id].options}
        if {reverse_from - v for v in values} != values:
            r.fail(
                f"{rpath}.from",
                f"{reverse_from} - value does not map the values of "
                f"{item_id} ({sorted(values)}) onto themselves",
            )
    return reverse, reverse_from


def _score_range(scale: ScaleRule, items: dict[str, Item]) -> tuple[int, int]:
    """Lowest and highest possible sum of scored values with every item answered."""
    low = high = 0
    for item_id in scale.items:
        scored = [scale.scored_value(item_id, o.value) for o in items[item_id].options]
        low, high = low + min(scored), high + max(scored)
    return low, high


def _table(value: object, path: str, low: int, high: int, r: Reader) -> dict[int, TableRow]:
    if not isinstance(value, dict):
        r.fail(path, "expected a mapping raw sum -> [T, SE]")
    table: dict[int, TableRow] = {}
    for key, row in value.items():
        raw = r.integer(key, f"{path}.{key}")
        rpath = f"{path}.{raw}"
        cells = r.sequence(row, rpath)
        if len(cells) != 2:
            r.fail(rpath, "expected [T, SE]")
        table[raw] = TableRow(
            t=r.number(cells[0], f"{rpath}[0]"), se=r.number(cells[1], f"{rpath}[1]")
        )
    expected = set(range(low, high + 1))
    if missing := sorted(expected - set(table)):
        shown = ", ".join(map(str, missing))
        r.fail(path, f"no row for raw {shown} (rows must cover {low}..{high})")
    if extra := sorted(set(table) - expected):
        r.fail(path, f"row for impossible raw {extra[0]} (possible: {low}..{high})")
    return table


def _bands(value: object, path: str, r: Reader) -> tuple[Band, ...]:
    if value is None:
        return ()
    bands: list[Band] = []
    last_bound = float("-inf")
    entries = r.sequence(value, path)
    for k, entry in enumerate(entries):
        bpath = f"{path}[{k}]"
        m = r.mapping(entry, bpath, ("band", "below", "at_most"))
        name = r.string(r.required(m, "band", bpath), f"{bpath}.band")
        if "below" in m and "at_most" in m:
            r.fail(bpath, "give below or at_most, not both")
        below = r.number(m["below"], f"{bpath}.below") if "below" in m else None
        at_most = r.number(m["at_most"], f"{bpath}.at_most") if "at_most" in m else None
        bound = below if below is not None else at_most
        last = k == len(entries) - 1
        if bound is None and not last:
            r.fail(bpath, "only the last band may have no bound")
        if bound is not None and last:
            r.fail(bpath, "the last band must have no bound, so every score gets a band")
        if bound is not None:
            if bound <= last_bound:
                r.fail(bpath, "bounds must increase")
            last_bound = bound
        bands.append(Band(name=name, below=below, at_most=at_most))
    return tuple(bands)


def _single_item(
    m: dict[str, object], path: str, scale_id: str, items: dict[str, Item], r: Reader
) -> ScaleRule:
    item_id = r.string(r.required(m, "item", path), f"{path}.item")
    if item_id not in items:
        r.fail(f"{path}.item", f"unknown item {item_id!r}")
    values = sorted(o.value for o in items[item_id].options)
    descriptors: dict[int, str] = {}
    if "descriptors" in m:
        dpath = f"{path}.descriptors"
        raw = m["descriptors"]
        if not isinstance(raw, dict):
            r.fail(dpath, "expected a mapping value -> words")
        for key, text in raw.items():
            value = r.integer(key, f"{dpath}.{key}")
            if value not in values:
                r.fail(f"{dpath}.{value}", f"{item_id} has no option with value {value}")
            descriptors[value] = r.string(text, f"{dpath}.{value}")
        if missing := [v for v in values if v not in descriptors]:
            r.fail(dpath, f"no descriptor for value {missing[0]}")
    return ScaleRule(
        id=scale_id,
        rule="single_item",
        items=(item_id,),
        descriptors=descriptors,
        bands=_bands(m.get("bands"), f"{path}.bands", r),
    )


def _summary(
    m: dict[str, object], path: str, scale_id: str, earlier: list[ScaleRule], r: Reader
) -> ScaleRule:
    known = {s.id: s for s in earlier}
    zpath = f"{path}.z"
    z: dict[str, ZNorm] = {}
    for input_id, entry in r.mapping(r.required(m, "z", path), zpath).items():
        ipath = f"{zpath}.{input_id}"
        if input_id not in known:
            r.fail(ipath, f"unknown scale {input_id!r} (a summary may use only scales above it)")
        source = known[input_id]
        if source.rule == "promis_summary":
            r.fail(ipath, "a summary cannot be built from another summary")
        zm = r.mapping(entry, ipath, ("score", "mean", "sd"))
        score_field = r.string(r.required(zm, "score", ipath), f"{ipath}.score")
        if score_field != Z_FIELDS[source.rule]:
            r.fail(
                f"{ipath}.score",
                f"a {source.rule} scale gives {Z_FIELDS[source.rule]!r}, not {score_field!r}",
            )
        sd = r.number(r.required(zm, "sd", ipath), f"{ipath}.sd")
        if sd <= 0:
            r.fail(f"{ipath}.sd", "must be above 0")
        z[input_id] = ZNorm(
            score_field=Z_FIELDS[source.rule],
            mean=r.number(r.required(zm, "mean", ipath), f"{ipath}.mean"),
            sd=sd,
        )
    components: list[SummaryComponent] = []
    cpath = f"{path}.components"
    for k, entry in enumerate(r.sequence(r.required(m, "components", path), cpath)):
        kpath = f"{cpath}[{k}]"
        cm = r.mapping(entry, kpath, ("weight", "mean_of"))
        scales = r.strings(r.required(cm, "mean_of", kpath), f"{kpath}.mean_of")
        for j, input_id in enumerate(scales):
            if input_id not in z:
                r.fail(f"{kpath}.mean_of[{j}]", f"{input_id!r} has no entry under z")
        components.append(
            SummaryComponent(
                weight=r.number(r.required(cm, "weight", kpath), f"{kpath}.weight"), scales=scales
            )
        )
    used = {s for c in components for s in c.scales}
    if unused := [s for s in z if s not in used]:
        r.fail(zpath, f"{unused[0]!r} is not used by any component")
    decimals = r.integer(r.required(m, "decimals", path), f"{path}.decimals")
    if not 0 <= decimals <= 3:
        r.fail(f"{path}.decimals", "must be between 0 and 3")
    return ScaleRule(
        id=scale_id, rule="promis_summary", components=tuple(components), z=z, decimals=decimals
    )


def _check_item_use(items: tuple[Item, ...], scales: list[ScaleRule], r: Reader) -> None:
    for i, item in enumerate(items):
        using = [s for s in scales if item.id in s.items]
        if not using:
            r.fail(f"items[{i}]", f"item {item.id!r} is not scored by any scale")
        keyed = {
            (s.reverse_from if item.id in s.reverse else None) for s in using if not s.as_answered
        }
        if len(keyed) > 1:
            # One item reversed in one scale and not in another is almost always a typo.
            r.fail(
                "scoring.scales",
                f"item {item.id!r} is reverse-keyed in some scales and not "
                f"in others ({', '.join(s.id for s in using)})",
            )
        tables = [s.id for s in using if s.rule == "promis_table"]
        if len(tables) > 1:
            r.fail(
                "scoring.scales",
                f"item {item.id!r} is in more than one PROMIS domain ({', '.join(tables)})",
            )
