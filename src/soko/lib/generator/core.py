"""Entry point of the generation: config → registry, results and planted truth in memory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from soko.lib.generator import anomalies
from soko.lib.generator.config import GeneratorConfig
from soko.lib.generator.population import (
    Population,
    build_municipalities,
    build_population,
    build_schools,
    finish_schools,
)
from soko.lib.generator.results import Results, Simulator


@dataclass
class GeneratedData:
    """Everything generated for one configuration, kept in memory (NumPy arrays)."""

    config: GeneratorConfig
    population: Population
    plan: anomalies.Plan
    results: Results
    #: JSON-ready planted truth (the content of truth.json).
    truth: dict[str, Any]


def generate(config: GeneratorConfig) -> GeneratedData:
    """Generate the world, its results and the planted truth; deterministic for a seed."""
    from soko.lib.generator.truth import build_truth

    municipalities = build_municipalities(config)
    schools = build_schools(config, municipalities)
    plan = anomalies.assign_kinds(config, schools)
    finish_schools(config, schools)
    population = build_population(config, municipalities, schools)
    anomalies.plan_works(config, plan, population)
    results = Simulator(config, population, plan).run()
    data = GeneratedData(config, population, plan, results, {})
    data.truth = build_truth(data)
    return data
