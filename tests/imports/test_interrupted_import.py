"""Killing the process in the middle of an import leaves no trace; the next run succeeds."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from .builders import small_vpr

pytestmark = pytest.mark.slow

SETUP = """
from soko.registry.services import territory_upsert, organization_create
r = territory_upsert(code='99', name='Тестовая область', kind='region')
m = territory_upsert(code='9901', name='Тестовый округ', kind='municipality', parent=r)
organization_create(code='sch990001', name='СОШ № 1', short_name='СОШ № 1', territory=m,
                    kind='school', org_type='СОШ', settlement='urban')
"""

# Runs an import and SIGKILLs the process at the chosen point (no clean-up code runs).
KILLER = """
import os, signal, sys
import django
django.setup()
from pathlib import Path
from soko.imports import results_handler, services
from soko.warehouse import store

point = sys.argv[2]
if point == "facts_written":
    original = results_handler.ResultsHandler.write_facts
    def write_facts(self, ctx, writer, slice_ids):
        n = original(self, ctx, writer, slice_ids)
        os.kill(os.getpid(), signal.SIGKILL)
        return n
    results_handler.ResultsHandler.write_facts = write_facts
elif point == "app_committed":
    def set_states(self, states):
        os.kill(os.getpid(), signal.SIGKILL)
    store.FactWriter.set_states = set_states
services.import_file(Path(sys.argv[1]))
"""

STATE = """
import json
from soko.imports.models import ImportBatch
from soko.warehouse.store import open_warehouse
with open_warehouse() as wh:
    raw = int(wh.table('result').count().execute())
    visible = wh.count('result')
print(json.dumps({'batches': ImportBatch.objects.count(), 'raw': raw, 'visible': visible}))
"""


def state(instance) -> dict[str, int]:
    out = instance.soko("manage", "shell", "-c", STATE).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture
def instance(new_instance):
    inst = new_instance("killed")
    inst.soko("init")
    inst.soko("manage", "shell", "-c", SETUP)
    return inst


def test_a_kill_before_the_commit_leaves_nothing(instance, tmp_path: Path) -> None:
    path = small_vpr(tmp_path / "vpr.xlsx")
    killed = instance.python(KILLER, str(path), "facts_written")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    after = state(instance)
    assert after["batches"] == 0 and after["visible"] == 0
    out = json.loads(instance.soko("import", str(path), "--json").stdout)
    assert out["status"] == "imported" and out["rows"] == 12
    assert state(instance) == {"batches": 1, "raw": 12, "visible": 12}


def test_a_kill_after_the_commit_heals_on_the_next_start(instance, tmp_path: Path) -> None:
    path = small_vpr(tmp_path / "vpr.xlsx")
    killed = instance.python(KILLER, str(path), "app_committed")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    instance.soko("init")  # any start reconciles the fact store with the application
    assert state(instance) == {"batches": 1, "raw": 12, "visible": 12}
    out = json.loads(instance.soko("import", str(path), "--json").stdout)
    assert out["status"] == "unchanged"
