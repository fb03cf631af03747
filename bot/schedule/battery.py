"""How a long battery is cut into sittings (issue 14; safety-ux UX-08: "~10-15 items per sitting").

A sitting is a run of items answered in one go. The battery keeps the plan's instrument order and
is cut where the least is lost:

- between instruments (free);
- inside an instrument only between its scales, never through one: a PROMIS-29 domain's four
  items stay together (HealthMeasures: no T-score unless all four are answered in one
  administration), and CPAQ-8, SCS-SF and BRS each have a total over all their items, so they are
  never cut (UX-07);
- through a scale only when an instrument has no other way under the limit ("unavoidable").

Among the cuts that keep every sitting within MAX_SITTING_ITEMS, the fewest cuts through a scale
win, then the fewest sittings (each one is another interruption, and another chance to miss the
72-hour window), then the fewest cuts between scales, then the smallest largest sitting.

Why 16 and not 15: four PROMIS domains are 16 items. With a hard 15 the default battery needs five
sittings (12 / 12 / 13 / 6 / 12 items); with 16 it needs four (PROMIS physical function, anxiety,
depression, fatigue = 16; sleep, social roles, pain interference and the 0-10 pain item = 13;
CPAQ-8 + BRS = 14; SCS-SF = 12), which is "at most about 15" and one interruption fewer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from surveys.model import Instrument

MAX_SITTING_ITEMS = 16
# The default pre/post battery, ordered so that the instruments that fit together are neighbours
# (CPAQ-8 + BRS = 14 items; SCS-SF, 12, sits alone).
DEFAULT_BATTERY: tuple[str, ...] = ("promis29", "cpaq8", "brs", "scs_sf")

_FREE, _INNER, _FORCED = 0, 1, 2  # between instruments | between scales | through a scale


@dataclass(frozen=True)
class SittingPart:
    """The items of one instrument asked in one sitting; `item_ids` None means all of them."""

    instrument_id: str
    item_ids: tuple[str, ...] | None


def split_battery(
    instrument_ids: Sequence[str],
    load: Callable[[str], Instrument],
    limit: int = MAX_SITTING_ITEMS,
) -> list[list[SittingPart]]:
    """The battery's sittings, in order; each a list of instrument parts."""
    if limit < 1:
        raise ValueError("a sitting holds at least one item")
    units: list[tuple[str, str]] = []  # (instrument id, item id), in asking order
    cut_kind: list[int] = [_FREE]  # the kind of a cut before units[i]; 0 = start of the battery
    for instrument_id in instrument_ids:
        instrument = load(instrument_id)
        inner = _scale_boundaries(instrument)
        for index, item_id in enumerate(instrument.item_ids):
            if units:
                if index == 0:
                    cut_kind.append(_FREE)
                else:
                    cut_kind.append(_INNER if index in inner else _FORCED)
            units.append((instrument_id, item_id))
    cut_kind.append(_FREE)  # the end of the battery
    n = len(units)
    # best[i]: (forced cuts, sittings, inner cuts, largest sitting) for units[:i], and where its
    # last sitting starts
    best: list[tuple[tuple[int, int, int, int], int] | None] = [None] * (n + 1)
    best[0] = ((0, 0, 0, 0), 0)
    for end in range(1, n + 1):
        for start in range(max(0, end - limit), end):
            previous = best[start]
            if previous is None:
                continue
            (forced, count, inner_cuts, largest), _ = previous
            kind = cut_kind[start]
            candidate = (
                forced + int(kind == _FORCED),
                count + 1,
                inner_cuts + int(kind == _INNER),
                max(largest, end - start),
            )
            current = best[end]
            if current is None or candidate < current[0]:
                best[end] = (candidate, start)
    bounds: list[tuple[int, int]] = []
    end = n
    while end > 0:
        found = best[end]
        assert found is not None  # any cut is allowed, so every prefix has a split
        bounds.append((found[1], end))
        end = found[1]
    bounds.reverse()
    sizes = {instrument_id: 0 for instrument_id in instrument_ids}
    for instrument_id, _item in units:
        sizes[instrument_id] += 1
    sittings: list[list[SittingPart]] = []
    for start, stop in bounds:
        parts: list[SittingPart] = []
        for instrument_id, item_id in units[start:stop]:
            if parts and parts[-1].instrument_id == instrument_id:
                items = (*(parts[-1].item_ids or ()), item_id)
                parts[-1] = SittingPart(instrument_id, items)
            else:
                parts.append(SittingPart(instrument_id, (item_id,)))
        sittings.append(
            [
                SittingPart(p.instrument_id, None)
                if len(p.item_ids or ()) == sizes[p.instrument_id]
                else p
                for p in parts
            ]
        )
    return sittings


def _scale_boundaries(instrument: Instrument) -> set[int]:
    """Item positions before which the instrument may be cut without splitting a scale."""
    position = {item_id: index for index, item_id in enumerate(instrument.item_ids)}
    allowed = set(range(1, len(instrument.item_ids)))
    for scale in instrument.scales:
        indexes = [position[i] for i in scale.items if i in position]
        if len(indexes) > 1:
            allowed -= set(range(min(indexes) + 1, max(indexes) + 1))
    return allowed
