from __future__ import annotations

from monitor.request_ids import MAX_TENANT_CHARS, external_request_id, lookup_ids, valid_tenant


def test_the_internal_suffix_is_removed() -> None:
    assert external_request_id("chatcmpl-a19fd54b7cd8bf4d-0f3c9a1b") == "chatcmpl-a19fd54b7cd8bf4d"
    assert external_request_id("cmpl-my-header-id-deadbeef") == "cmpl-my-header-id"


def test_ids_without_the_suffix_are_kept() -> None:
    assert external_request_id("chatcmpl-a19fd54b7cd8bf4d") == "chatcmpl-a19fd54b7cd8bf4d"
    assert external_request_id("r1") == "r1"
    assert external_request_id("req-XYZ12345") == "req-XYZ12345"  # not lowercase hex


def test_a_header_id_stands_for_the_api_ids() -> None:
    assert lookup_ids("my-id") == ("my-id", "chatcmpl-my-id", "cmpl-my-id")
    assert lookup_ids("chatcmpl-abc") == ("chatcmpl-abc",)


def test_tenant_tags() -> None:
    assert (
        valid_tenant("team-a") and valid_tenant("Équipe 7") and valid_tenant("t" * MAX_TENANT_CHARS)
    )
    for bad in ("", "t" * (MAX_TENANT_CHARS + 1), "a\nb", "tab\there", "\x00", 7, None, ["x"]):
        assert not valid_tenant(bad), bad
