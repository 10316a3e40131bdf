"""Small builders shared by the tests."""

from typing import Any

from paxossim import Scenario, parse_scenario


def scenario(**sections: Any) -> Scenario:
    """A valid scenario: 5 nodes, one proposer, defaults elsewhere; override by section,
    e.g. scenario(network={"loss": 1.0}, cluster={"nodes": 3})."""
    data: dict[str, Any] = {"name": "test", "cluster": {"nodes": 5}}
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return parse_scenario(data)


def constant(d: float) -> dict:
    return {"delay": {"dist": "constant", "value": d}}
