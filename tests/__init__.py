import pytest

# Helper modules with asserts, imported by tests/conftest.py before pytest_plugins registers them.
pytest.register_assert_rewrite("tests.servers", "tests.support", "tests.workers")
