"""A resident's state and keyboard as JSON text (storage.json_text): orjson where it can, the
standard library where orjson refuses, so no state stored earlier or written now fails."""
from __future__ import annotations

import json
import math

from storage import json_text


def test_state_reads_back_as_written_with_letters_unescaped() -> None:
    state = {"text": "Скамейки у пруда «ёлки»", "photos": [["a1", "image/jpeg"]], "latitude": 50.1, "n": 3}
    text = json_text.dumps(state)
    assert "Скамейки" in text and json_text.loads(text) == state == json.loads(text)


def test_what_orjson_refuses_is_written_and_read_as_the_standard_library_does() -> None:
    huge = {"number": 2**70, 1: "a key that is a number"}
    assert json_text.loads(json_text.dumps(huge)) == {"number": 2**70, "1": "a key that is a number"}
    # Written by the standard library before (a NaN among a resident's answers): still read.
    assert math.isnan(json_text.loads(json.dumps({"x": float("nan")}))["x"])
