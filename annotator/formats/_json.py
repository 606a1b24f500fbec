"""The writers' one JSON encoder: what ``json.dumps(obj, ensure_ascii=False)`` writes, made once.

``json.dumps`` with any option builds a new encoder for every call (a few µs a record); the
formats that write JSON lines (native, doccano, Label Studio, Prodigy) share this one instead,
and ``json_str`` is what it writes for a string, for writers that assemble JSON from pieces.
No circular check: every value written comes from JSON or from our model, neither of which can
hold a cycle (a deeply nested value still fails, with ``RecursionError``, which the writers catch).
"""

from __future__ import annotations

import json

ENCODE = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode  # json.dumps(…, ensure_ascii=False)
json_str = json.encoder.encode_basestring  # what ENCODE writes for a string (its C encoder)
