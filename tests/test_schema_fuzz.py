"""Whatever bytes a schema file holds, the loader either builds a Schema or raises an InputError."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.errors import InputError
from annotator.schema import Schema, default_schema_path, load_schema, load_schema_text

NEWS = default_schema_path().read_text(encoding="utf-8")
NEWS_LINES = NEWS.splitlines(keepends=True)
YAML_BITS = st.sampled_from(["", ":", "- ", "  ", "\n", "&a ", "*a", "!!python/name:os.system ", "{", "}",
                             "[", "]", "'", '"', "#", "|", ">", "~", "yes", "1.10", "key: X", "\t", "<<: ",
                             "!foo ", "!!bool ", "!!int ", "!!float ", "!!null ", "%YAML 1.1\n", "---\n", "...\n", "\x00", "\ufeff", "ش"])


def loads_or_input_error(load, *args) -> None:
    try:
        result = load(*args)
    except InputError as err:
        assert str(err)  # a message a person can read
    else:
        assert isinstance(result, Schema)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_random_bytes(tmp_path: Path, data: bytes):
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(data)
    loads_or_input_error(load_schema, path)


@settings(max_examples=300, deadline=None)
@given(edits=st.lists(st.tuples(st.integers(0, len(NEWS_LINES) - 1), st.integers(0, 200),
                                st.one_of(YAML_BITS, st.text(max_size=6)), st.integers(0, 3)),
                      min_size=1, max_size=4))
def test_mutated_news_schema(edits):
    lines = list(NEWS_LINES)
    for index, column, insert, cut in edits:
        line = lines[index]
        column = min(column, len(line))
        lines[index] = line[:column] + insert + line[column + cut:]
    loads_or_input_error(load_schema_text, "".join(lines), "news-mutated.yaml")


@settings(max_examples=100, deadline=None)
@given(drop=st.sets(st.integers(0, len(NEWS_LINES) - 1), min_size=1, max_size=6))
def test_news_schema_with_lines_dropped(drop):
    text = "".join(line for i, line in enumerate(NEWS_LINES) if i not in drop)
    loads_or_input_error(load_schema_text, text, "news-dropped.yaml")
