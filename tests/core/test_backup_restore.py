"""Backup then restore into an empty data dir reproduces the instance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.imports.builders import small_vpr

pytestmark = pytest.mark.slow

SNAPSHOT = """
import json
from soko.accounts.scope import SYSTEM
from soko.catalog.selectors import assessment_dict, assessment_list
from soko.imports.selectors import batch_list
from soko.registry.selectors import organization_list
from soko.warehouse.store import open_warehouse
from django.contrib.auth.models import User
with open_warehouse() as wh:
    t = wh.facts('result')
    facts = [int(t.count().execute()), float(t.primary_score.sum().execute()),
             wh.count('task_score')]
print(json.dumps({
    'orgs': [(o.code, o.short_name, o.territory.name) for o in organization_list(SYSTEM)],
    'batches': [(b.pk, b.sha256, b.kind, b.rows_accepted, b.status) for b in batch_list()],
    'catalog': [assessment_dict(a) for a in assessment_list()],
    'users': sorted(User.objects.values_list('username', flat=True)),
    'facts': facts,
}, ensure_ascii=False, default=str))
"""
SETUP = (
    "from soko.registry.services import *\n"
    "r = territory_upsert(code='99', name='Тестовая область', kind='region')\n"
    "m = territory_upsert(code='9901', name='Тестовый округ', kind='municipality', parent=r)\n"
    "organization_create(code='sch990001', name='МБОУ «СОШ № 1»', short_name='СОШ № 1',"
    " territory=m, kind='school', org_type='СОШ', settlement='urban')\n"
)


def snapshot(instance) -> dict:
    out = instance.soko("manage", "shell", "-c", SNAPSHOT).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def backup(new_instance, tmp_path_factory: pytest.TempPathFactory):
    source = new_instance("source")
    source.soko("init", "--admin-password", "admin-12345")
    source.soko("manage", "shell", "-c", SETUP)
    tmp = tmp_path_factory.mktemp("files")
    source.soko("import", str(small_vpr(tmp / "vpr.xlsx")))
    archive = tmp / "backup.tar.gz"
    source.soko("backup", str(archive))
    return source, archive


def test_backup_then_restore_into_an_empty_data_dir(backup, new_instance, tmp_path: Path) -> None:
    source, archive = backup
    target = new_instance("target")
    target.soko("restore", str(archive))
    restored = snapshot(target)
    assert restored == snapshot(source)
    assert restored["facts"][0] == 12 and restored["users"] == ["admin"]
    uploads = sorted(p.name for p in (target.data_dir / "uploads").rglob("*") if p.is_file())
    assert uploads == ["vpr.xlsx"]
    # the restored instance keeps working
    target.soko("import", str(small_vpr(tmp_path / "vpr2.xlsx", shift=1)))


def test_restore_refuses_a_non_empty_instance_and_a_damaged_file(backup, new_instance,
                                                                 tmp_path: Path) -> None:
    source, archive = backup
    again = source.soko("restore", str(archive), check=False)
    assert again.returncode == 1 and "не пуст" in again.stderr
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(archive.read_bytes()[:2000])
    bad = new_instance("empty").soko("restore", str(broken), check=False)
    assert bad.returncode == 1 and "повреждён" in bad.stderr
    assert "Traceback" not in bad.stderr
