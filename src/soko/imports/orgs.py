"""Resolving the organizations an incoming file refers to, and creating new ones on request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from soko.imports.context import ImportContext
from soko.imports.parsing.records import OrgRef
from soko.registry.models import Organization, OrgKind, OrgType, Settlement, Territory
from soko.registry.services import organization_create, territory_upsert

UNKNOWN_REGION_CODE = "00"


class OrgResolver:
    """Maps codes (and, for files without logins, names) to registry organizations."""

    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self._by_code: dict[str, int] = {
            code.lower(): pk for code, pk in Organization.objects.values_list("code", "id")
        }
        self._names: dict[int, str] = dict(Organization.objects.values_list("id", "short_name"))
        self._expected: dict[str, tuple[str, str]] = {}
        self._created: dict[str, int] = {}

    # --- by code ----------------------------------------------------------------------------
    def known_codes(self) -> dict[str, int]:
        return dict(self._by_code)

    def codes_of_scope(self) -> list[str]:
        scope = self.ctx.scope
        qs = Organization.objects.filter(scope.org_q())
        return [c.lower() for c in qs.values_list("code", flat=True)]

    def expect(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """Note the (code, name, municipality) of every organization the file mentions."""
        for code, name, municipality in rows:
            key = code.lower()
            if key not in self._by_code:
                self._expected.setdefault(key, (name, municipality))

    def new_codes(self) -> list[str]:
        return sorted(self._expected) if self.ctx.create_orgs else []

    def id_of(self, code: str) -> int | None:
        key = code.lower()
        return self._by_code.get(key) or self._created.get(key)

    def label_of(self, code: str, name: str = "") -> str:
        pk = self.id_of(code)
        if pk is not None and pk in self._names:
            return self._names[pk]
        return name or code

    def create_missing(self, batch: Any) -> None:
        if not self.ctx.create_orgs:
            return
        for code, (name, municipality) in sorted(self._expected.items()):
            territory = territory_for_name(municipality)
            org = organization_create(
                code=code,
                name=name or code,
                short_name=(name or code)[:200],
                territory=territory,
                kind=OrgKind.SCHOOL,
                org_type=OrgType.SOSH,
                settlement=Settlement.URBAN,
                valid_from=dt.date(2000, 1, 1),
            )
            org.periods.update(reason=f"создана при загрузке №{batch.pk} («{batch.file_name}»)")
            self._created[code] = org.pk
            self._names[org.pk] = org.short_name

    # --- by reference (files without logins) -----------------------------------------------
    def resolve_refs(self, refs: Sequence[OrgRef]) -> dict[OrgRef, int | None]:
        """Match references by login, ОГРН/ИНН, then normalised (municipality, name)."""
        from soko.imports.parsing.names import normalize_municipality, normalize_org_name

        by_ogrn = dict(Organization.objects.exclude(ogrn="").values_list("ogrn", "id"))
        by_inn = dict(Organization.objects.exclude(inn="").values_list("inn", "id"))
        by_name: dict[tuple[str, str], int] = {}
        by_name_only: dict[str, list[int]] = {}
        for org_id, name, short, tname in Organization.objects.values_list(
            "id", "name", "short_name", "territory__name"
        ):
            for n in (name, short):
                key = normalize_org_name(n)
                by_name[(normalize_municipality(tname), key)] = org_id
                by_name_only.setdefault(key, []).append(org_id)
        out: dict[OrgRef, int | None] = {}
        for ref in refs:
            pk: int | None = None
            if ref.code:
                pk = self.id_of(ref.code)
            if pk is None and ref.ogrn:
                pk = by_ogrn.get(ref.ogrn)
            if pk is None and ref.inn:
                pk = by_inn.get(ref.inn)
            if pk is None and ref.name:
                key = normalize_org_name(ref.name)
                pk = by_name.get((normalize_municipality(ref.municipality), key))
                if pk is None and len(by_name_only.get(key, [])) == 1 and not ref.municipality:
                    pk = by_name_only[key][0]
            out[ref] = pk
        return out

    def create_from_ref(self, ref: OrgRef, batch: Any) -> int:
        """Create an organization for a reference without a login (code derived, stable)."""
        import hashlib

        from soko.imports.parsing.names import normalize_municipality, normalize_org_name

        if ref.code:
            code = ref.code.lower()
        elif ref.ogrn:
            code = f"ogrn{ref.ogrn}"
        else:
            digest = hashlib.sha1(
                f"{normalize_municipality(ref.municipality)}|{normalize_org_name(ref.name)}".encode(),
                usedforsecurity=False,
            ).hexdigest()[:10]
            code = f"org-{digest}"
        existing = self.id_of(code)
        if existing is not None:
            return existing
        territory = territory_for_name(ref.municipality, region_name=ref.region)
        org = organization_create(
            code=code,
            name=ref.name or code,
            short_name=(ref.name or code)[:200],
            territory=territory,
            kind=OrgKind.SCHOOL,
            org_type=OrgType.SOSH,
            settlement=Settlement.URBAN,
            ogrn=ref.ogrn or "",
            inn=ref.inn or "",
            valid_from=dt.date(2000, 1, 1),
        )
        org.periods.update(reason=f"создана при загрузке №{batch.pk} («{batch.file_name}»)")
        self._created[code] = org.pk
        self._names[org.pk] = org.short_name
        return org.pk


def territory_for_name(municipality: str, *, region_name: str = "") -> Territory:
    """The municipality with this name (created under the instance's region if missing)."""
    from soko.imports.parsing.names import normalize_municipality

    name = (municipality or "").strip() or "Муниципалитет не указан"
    key = normalize_municipality(name)
    for t in Territory.objects.filter(kind=Territory.Kind.MUNICIPALITY):
        if normalize_municipality(t.name) == key:
            return t
    region = _region(region_name)
    count = Territory.objects.filter(parent=region).count() + 1
    return territory_upsert(
        code=f"{region.code}-{count:03d}",
        name=name,
        kind=Territory.Kind.MUNICIPALITY,
        parent=region,
    )


def _region(name: str) -> Territory:
    regions = list(Territory.objects.filter(kind=Territory.Kind.REGION))
    if name:
        for r in regions:
            if r.name.strip().lower() == name.strip().lower():
                return r
        code = f"R{Territory.objects.filter(kind=Territory.Kind.REGION).count() + 1:02d}"
        return territory_upsert(code=code, name=name.strip(), kind=Territory.Kind.REGION)
    if len(regions) == 1:
        return regions[0]
    return territory_upsert(
        code=UNKNOWN_REGION_CODE, name="Регион не указан", kind=Territory.Kind.REGION
    )
