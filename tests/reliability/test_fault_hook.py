"""The DBTOOL_FAULT hook itself: its syntax, and that it is inert when unset."""

from __future__ import annotations

import os

import pytest

from dbtool import faults


def test_the_hook_is_a_no_op_without_the_variable():
    """Read once at import: a run without DBTOOL_FAULT gets the function that does nothing."""
    if faults.ENV in os.environ:
        pytest.skip("DBTOOL_FAULT is set for this test run")
    assert faults.fault is faults._noop


def test_specs_parse_into_rules():
    assert faults.parse("after-statements:kill, inside-file@3:sleep=0.5") == (
        faults.Rule("after-statements", "kill"), faults.Rule("inside-file", "sleep", 3, 0.5))
    assert faults.parse("") == ()


@pytest.mark.parametrize("spec", ["sometime:kill", "inside-file@0:kill", "inside-file@x:kill",
                                  "after-commit:explode", "after-commit:sleep=-1",
                                  "after-commit:sleep=soon"])
def test_bad_specs_are_refused_with_the_reason(spec):
    with pytest.raises(ValueError, match="fault"):
        faults.parse(spec)
