"""nnlib.testing: the notebook checks fail with messages that say what is wrong."""
import numpy as np
import pytest

from nnlib.testing import check_array, check_value


def test_check_array_passes_on_match():
    check_array(np.array([0, 1]), [0, 1], "predict")


@pytest.mark.parametrize("got, match", [
    (None, "got None.*return statement"),
    (np.array([0, 1, 1]), r"expected shape \(2,\), got shape \(3,\)"),
    (np.array([0, 0]), r"first difference at index \(1,\): expected 1, got 0.*input row 1 = \[3, 4\]"),
])
def test_check_array_explains_the_failure(got, match):
    with pytest.raises(AssertionError, match=match):
        check_array(got, [0, 1], "predict on X", inputs=[[1, 2], [3, 4]])


def test_check_value():
    check_value(0.5, 0.5, "b")
    with pytest.raises(AssertionError, match=r"b after step 2: expected 1.0, got 0.5$"):
        check_value(np.float64(0.5), 1.0, "b after step 2")
    with pytest.raises(AssertionError, match="expected the number"):
        check_value(np.array([1.0]), 1.0, "b")
