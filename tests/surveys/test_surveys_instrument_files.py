"""The shipped instrument files honour the data contract (DESIGN.md §2): ids, values, languages."""

from __future__ import annotations

from surveys.loader import load_instrument
from surveys.model import Instrument

ITEM_IDS = {
    "promis29": [
        "PFA11",
        "PFA21",
        "PFA23",
        "PFA53",
        "EDANX01",
        "EDANX40",
        "EDANX41",
        "EDANX53",
        "EDDEP04",
        "EDDEP06",
        "EDDEP29",
        "EDDEP41",
        "HI7",
        "AN3",
        "FATEXP41",
        "FATEXP40",
        "Sleep109",
        "Sleep116",
        "Sleep20",
        "Sleep44",
        "SRPPER11_CaPS",
        "SRPPER18_CaPS",
        "SRPPER23_CaPS",
        "SRPPER46_CaPS",
        "PAININ9",
        "PAININ22",
        "PAININ31",
        "PAININ34",
        "Global07",
    ],
    "cpaq8": [
        "cpaq20_01",
        "cpaq20_06",
        "cpaq20_09",
        "cpaq20_15",
        "cpaq20_13",
        "cpaq20_14",
        "cpaq20_17",
        "cpaq20_18",
    ],
    "brs": [f"brs_{n}" for n in range(1, 7)],
    "scs_sf": [f"scssf_{n}" for n in range(1, 13)],
    "dvprs": ["dvprs_pain", "dvprs_activity", "dvprs_sleep", "dvprs_mood", "dvprs_stress"],
}
SCALE_IDS = {
    "promis29": [
        "physical_function",
        "anxiety",
        "depression",
        "fatigue",
        "sleep_disturbance",
        "social_roles",
        "pain_interference",
        "pain_intensity",
        "physical_health_summary",
        "mental_health_summary",
    ],
    "cpaq8": ["activity_engagement", "pain_willingness", "total"],
    "scs_sf": [
        "total",
        "self_kindness",
        "self_judgment",
        "common_humanity",
        "isolation",
        "mindfulness",
        "over_identification",
    ],
    "brs": ["resilience"],
    "dvprs": ["pain_intensity", "interference"],
}


def test_item_and_scale_ids_are_the_data_contract() -> None:
    for instrument_id, ids in ITEM_IDS.items():
        assert list(load_instrument(instrument_id).item_ids) == ids, instrument_id
    for instrument_id, ids in SCALE_IDS.items():
        assert [s.id for s in load_instrument(instrument_id).scales] == ids, instrument_id


def _option(instrument: Instrument, item_id: str, code: int) -> tuple[int, str]:
    option = instrument.item(item_id).option_by_code(code)
    assert option is not None
    return option.value, option.label["en"]


def test_promis_printed_order_and_scored_values() -> None:
    p = load_instrument("promis29")
    assert _option(p, "PFA11", 1) == (5, "Without any difficulty")
    assert _option(p, "PFA11", 5) == (1, "Unable to do")
    assert _option(p, "Sleep109", 1) == (5, "Very poor")
    assert _option(p, "Sleep116", 1) == (5, "Not at all")
    assert _option(p, "Sleep20", 1) == (1, "Not at all")
    assert _option(p, "SRPPER23_CaPS", 1) == (5, "Never")
    assert _option(p, "SRPPER23_CaPS", 4) == (2, "Usually")
    assert _option(p, "EDANX01", 4) == (4, "Often")
    assert all(o.code == o.value for o in p.item("Global07").options)
    assert p.item("Global07").codes == tuple(range(11))


def test_zero_to_n_scales_have_code_equal_to_value() -> None:
    for instrument_id in ("cpaq8", "dvprs"):
        for item in load_instrument(instrument_id).items:
            assert all(o.code == o.value for o in item.options), item.id


def test_languages_and_provenance() -> None:
    promis = load_instrument("promis29")
    assert list(promis.translations) == ["en"]  # Spanish only partly found: not declared
    assert "PROMIS Health Organization" in promis.copyright
    assert "healthmeasures.net" in promis.copyright

    dvprs = load_instrument("dvprs")
    es = dvprs.translations["es"]
    assert es.status == "unvalidated" and "not linguistically validated" in es.source
    assert dvprs.unvalidated_policy == "mark"
    assert dvprs.usable_language("es") is es  # the Spanish demo may use it, marked

    brs = load_instrument("brs")
    assert brs.translations["es"].status == "unvalidated"
    assert brs.usable_language("es") is None  # uncertain source: refused

    for instrument_id in ("satisfaction", "healthcare_use"):
        assert load_instrument(instrument_id).usable_language("es") is not None
    for instrument_id in ("cpaq8", "scs_sf"):
        assert load_instrument(instrument_id).usable_language("es") is None


def test_validated_translations_name_a_source() -> None:
    for instrument_id in (*ITEM_IDS, "satisfaction", "healthcare_use"):
        for tr in load_instrument(instrument_id).translations.values():
            assert tr.source.strip(), (instrument_id, tr.language)
