"""The API against its OpenAPI document, by schemathesis: generated requests (valid and invalid) to every
operation; no answer is a server error, and every answer is one the document describes. Bounded and seeded."""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from certflow.people.accounts import Accounts
from certflow.web import openapi

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

CONFIG = SchemathesisConfig.from_dict({
    "seed": 15,
    "base-url": "http://localhost/api/v1",
    "generation": {"max-examples": 5, "deterministic": True, "allow-x00": False, "codec": "utf-8"},
    "phases": {"stateful": {"enabled": False}},
    # 422 is the answer to data the document allows but the process's own form or the deployment checks refuse.
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2XX", 401, 403, 404, 409, 422]}},
})
schema = schemathesis.openapi.from_dict(openapi.DOCUMENT, config=CONFIG)


@pytest.fixture
def token(accounts: Accounts) -> str:
    return accounts.issue_token(accounts.by_username("admin").id, "schemathesis")


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
def test_the_api_keeps_to_its_document(case: schemathesis.Case, app: Flask, token: str) -> None:
    case.operation.schema.app = app  # the checks' own requests (e.g. the same without a token) go to this app too
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {token}"})
