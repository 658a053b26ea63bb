"""`headwind.sh/digests`: the build of the current tag Headwind last rolled out, read tolerantly."""

import pytest

from headwind import annotations, records

D1 = "sha256:" + "1" * 64


@pytest.mark.parametrize(
    ("text", "expected", "problem"),
    [
        pytest.param(None, {}, None, id="absent"),
        pytest.param("  ", {}, None, id="blank"),
        pytest.param(
            '{"web": {"tag": "1.0", "digest": "' + D1 + '"}}',
            {"web": records.TagDigest(tag="1.0", digest=D1)},
            None,
            id="one-container",
        ),
        pytest.param("{", {}, "not valid JSON", id="not-json"),
        pytest.param("[]", {}, "not a JSON object", id="not-an-object"),
        pytest.param(
            '{"web": {"tag": "1.0", "digest": "' + D1 + '"}, "db": {"tag": ""}}',
            {"web": records.TagDigest(tag="1.0", digest=D1)},
            "digests of db are not valid",
            id="bad-entry-dropped-good-kept",
        ),
    ],
)
def test_parse_digests(
    text: str | None, expected: dict[str, records.TagDigest], problem: str | None
) -> None:
    known, found = records.parse_digests(text)
    assert known == expected
    assert (found is None) if problem is None else (problem in (found or ""))


def test_record_and_dump_round_trip() -> None:
    known = records.record_digest({}, "web", "1.0", D1)
    text = records.dump_digests(known)
    assert text == '{"web":{"tag":"1.0","digest":"' + D1 + '"}}'
    assert records.parse_digests(text)[0] == known


def test_annotations_read_the_digests_and_report_garbage() -> None:
    parsed, problems = annotations.parse({annotations.DIGESTS: "nonsense"})
    assert parsed.digests == {}
    assert [p.key for p in problems] == [annotations.DIGESTS]
