"""Write the FAKE Spanish translation packs in this directory (tests only; not translations).

Every text they hold is "[TEST] ..." filler: they prove that a licensed pack dropped into
PATHBOT_TRANSLATION_PACKS_DIR makes an instrument available in a language, and nothing else.
Regenerate after an instrument file changes its items or options:

    .venv/bin/python -m tests.packs.make_fake_packs
"""

from __future__ import annotations

from pathlib import Path

import yaml

from surveys.loader import load_instrument
from surveys.model import Instrument

HERE = Path(__file__).resolve().parent
BATTERY = ("promis29", "cpaq8", "scs_sf", "brs")  # the pre/post battery
LANGUAGE = "es"
HEADER = (
    "# FAKE TEST PACK: not a translation, not licensed material. Every text is [TEST] filler.\n"
    "# Written by tests/packs/make_fake_packs.py; it only proves the translation-pack mechanism.\n"
)


def fake_pack(instrument: Instrument) -> dict[str, object]:
    return {
        "pack_format": 1,
        "instrument": instrument.id,
        "version": instrument.version,
        "language": LANGUAGE,
        "source": "[TEST] paquete falso de las pruebas de pathbot; no es una traducción",
        "licence": "[TEST] ninguna: paquete falso",
        "validation": "[TEST] ninguna: paquete falso",
        "title": f"[TEST] {instrument.id} (paquete de prueba)",
        "instructions": "[TEST] Instrucciones de prueba.",
        "items": [
            {
                "id": item.id,
                **({"context": "[TEST] contexto"} if item.context else {}),
                "text": f"[TEST] pregunta {item.id}",
                "options": [
                    {"code": o.code, "value": o.value, "label": f"[TEST] respuesta {o.code}"}
                    for o in item.options
                ],
            }
            for item in instrument.items
        ],
    }


def render(instrument: Instrument) -> str:
    body = yaml.safe_dump(fake_pack(instrument), allow_unicode=True, sort_keys=False, width=100)
    return HEADER + body


def main() -> None:
    for instrument_id in BATTERY:
        instrument = load_instrument(instrument_id)
        path = HERE / f"{instrument_id}.{LANGUAGE}.yaml"
        path.write_text(render(instrument), encoding="utf-8")
        print(path)


if __name__ == "__main__":
    main()
