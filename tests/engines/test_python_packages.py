from __future__ import annotations

import pytest

from chalicelib.engines.python_packages import python_distribution


@pytest.mark.parametrize(
    ("module", "distribution"),
    [
        ("yaml", "PyYAML"),
        ("cv2", "opencv-python"),
        ("sklearn.linear_model", "scikit-learn"),
        ("PIL.Image", "Pillow"),
        ("google.protobuf.message", "protobuf"),
        ("requests", "requests"),
        ("my_pkg", "my-pkg"),
    ],
)
def test_import_names_map_to_distributions(module: str, distribution: str) -> None:
    assert python_distribution(module) == distribution
