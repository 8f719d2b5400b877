"""Fixtures for the generator tests; helpers live in vanity_testlib.py."""

import pytest

from vanity_testlib import REPO


@pytest.fixture
def in_repo(monkeypatch):
    monkeypatch.chdir(REPO)
    return REPO
