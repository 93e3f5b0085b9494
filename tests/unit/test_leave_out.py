"""--wc-leave-out entries: how SELECTOR=REASON is read and which tests an entry takes."""

from __future__ import annotations

import pytest

from reports.leave_out import LeaveOut, LeaveOutError, assign, parse, unmatched_error

MAX_UNAVAILABLE = "conformance/statefulset/test_max_unavailable.py::test_max_unavailable_pods_roll_together"
DNS_RECORDS = "conformance/dns/test_headless_pod_records.py::test_headless_pod_records"
STORAGE = "conformance/statefulset/test_storage_follows_the_ordinal.py::test_storage_follows_the_ordinal"
TESTS = [
    (MAX_UNAVAILABLE, {"test_max_unavailable", "statefulset"}),
    (DNS_RECORDS, {"test_headless_pod_records", "dns"}),
    (STORAGE, {"test_storage_follows_the_ordinal", "statefulset", "storage"}),
]


def test_an_entry_is_a_selector_and_a_reason_split_at_the_first_equals_sign() -> None:
    entry = parse("./conformance/statefulset/test_max_unavailable.py=feature gate off = on purpose")
    assert entry == LeaveOut(
        "conformance/statefulset/test_max_unavailable.py", "feature gate off = on purpose"
    )
    assert entry.by_node_id


def test_an_equals_sign_inside_a_parametrized_id_belongs_to_the_selector() -> None:
    entry = parse("conformance/x/test_y.py::test_z[replicas=3]=too many for us")
    assert entry == LeaveOut("conformance/x/test_y.py::test_z[replicas=3]", "too many for us")


@pytest.mark.parametrize("text", ["storage", "storage=", "storage=   ", "=why", ""])
def test_an_entry_without_a_selector_or_a_reason_is_refused_in_one_line(text: str) -> None:
    with pytest.raises(LeaveOutError) as caught:
        parse(text)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"--wc-leave-out {text!r}: give SELECTOR=REASON")


def test_a_node_id_prefix_matches_at_a_path_boundary_only() -> None:
    assert parse("conformance/dns=x").matches(DNS_RECORDS, set())
    assert parse("conformance/dns/=x").matches(DNS_RECORDS, set())
    assert parse(f"{DNS_RECORDS}=x").matches(DNS_RECORDS, set())
    assert not parse("conformance/dn=x").matches(DNS_RECORDS, set())
    assert not parse("conformance/dns/test_headless=x").matches(DNS_RECORDS, set())
    assert parse("conformance/x/test_y.py::test_z=x").matches("conformance/x/test_y.py::test_z[3]", set())


def test_a_keyword_matches_exactly_never_as_a_substring() -> None:
    keywords = {"test_max_unavailable", "statefulset"}
    assert parse("statefulset=x").matches(MAX_UNAVAILABLE, keywords)
    assert not parse("stateful=x").matches(MAX_UNAVAILABLE, keywords)
    assert not parse("max_unavailable=x").matches(MAX_UNAVAILABLE, keywords)


def test_each_test_takes_the_first_entry_that_matches_it_and_unmatched_entries_are_named() -> None:
    storage = parse("storage=no CSI driver")
    statefulset = parse("conformance/statefulset/=controller replaced by ours")
    nothing = parse("conformance/dnssec/=never collected")
    chosen, unmatched = assign([storage, statefulset, nothing], TESTS)
    assert chosen == {STORAGE: storage, MAX_UNAVAILABLE: statefulset}
    assert unmatched == [nothing]
    message = str(unmatched_error(nothing))
    assert message.startswith("--wc-leave-out 'conformance/dnssec/=never collected' leaves nothing out: ")
    assert "\n" not in message


def test_an_entry_whose_tests_an_earlier_entry_took_still_counts_as_matching() -> None:
    chosen, unmatched = assign([parse("storage=a"), parse("test_storage_follows_the_ordinal=b")], TESTS)
    assert chosen[STORAGE].reason == "a" and unmatched == []
