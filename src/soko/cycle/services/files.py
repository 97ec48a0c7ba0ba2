"""Storage of uploaded evidence and archived roadmap files under the instance data directory.

Files are kept outside any public directory (``var/cycle/<kind>/<sha[:2]>/<sha>/<name>``) and
served only by views that check the caller's scope. Names are reduced to safe characters, the
extension must be one of the document formats accepted, and the size is limited by the
parameter ``cycle.evidence.max_mb``.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from django.conf import settings

from soko.core.errors import ApplicationError

ALLOWED_EXTENSIONS: Final = frozenset(
    {
        ".pdf", ".doc", ".docx", ".odt", ".rtf", ".txt", ".xls", ".xlsx", ".ods", ".csv",
        ".ppt", ".pptx", ".odp", ".jpg", ".jpeg", ".png", ".zip",
    }
)


@dataclass(frozen=True)
class StoredFile:
    path: str  # relative to the data directory
    name: str
    sha256: str
    size: int


def data_root() -> Path:
    return Path(settings.SOKO.data_dir)


def safe_name(name: str) -> str:
    """The base name with unsafe characters replaced (Cyrillic letters are kept)."""
    base = Path(name.replace("\\", "/")).name.strip() or "file"
    cleaned = re.sub(r"[^\w.\- ()«»№]+", "_", base, flags=re.UNICODE).strip(" .")
    return cleaned[:150] or "file"


def _max_bytes() -> int:
    from soko.catalog.selectors import ParameterMissing, parameter_value

    try:
        mb = float(parameter_value("cycle.evidence.max_mb"))
    except ParameterMissing:
        mb = 25.0
    return int(mb * 1024 * 1024)


def store_upload(uploaded: Any, *, kind: str) -> StoredFile:
    """Store a Django ``UploadedFile`` (or any object with ``name``, ``size``, ``chunks()``).

    Raises :class:`ApplicationError` (Russian) for a forbidden type or a file too large.
    """
    name = safe_name(str(uploaded.name))
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_EXTENSIONS:
        allowed = ", ".join(sorted(e.lstrip(".") for e in ALLOWED_EXTENSIONS))
        raise ApplicationError(
            f"Файл «{name}»: такой тип не принимается. Допустимые форматы: {allowed}."
        )
    limit = _max_bytes()
    if int(uploaded.size or 0) > limit:
        raise ApplicationError(
            f"Файл «{name}» больше {limit // (1024 * 1024)} МБ; уменьшите его или дайте ссылку."
        )
    tmp_dir = data_root() / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    tmp = tmp_dir / f"cycle-upload-{uuid.uuid4().hex}"
    with tmp.open("wb") as fh:
        for chunk in uploaded.chunks():
            digest.update(chunk)
            size += len(chunk)
            fh.write(chunk)
    sha = digest.hexdigest()
    target = data_root() / "cycle" / kind / sha[:2] / sha / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        tmp.unlink(missing_ok=True)
    else:
        shutil.move(str(tmp), target)
    return StoredFile(str(target.relative_to(data_root())), name, sha, size)


def store_path(path: Path, *, kind: str, name: str | None = None) -> StoredFile:
    """Archive a file already on disk (an imported roadmap) verbatim."""
    file_name = safe_name(name or path.name)
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    target = data_root() / "cycle" / kind / sha[:2] / sha / file_name
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.write_bytes(data)
    return StoredFile(str(target.relative_to(data_root())), file_name, sha, len(data))


def open_stored(relative: str) -> Path:
    """The absolute path of a stored file; refuses paths outside the storage."""
    root = (data_root() / "cycle").resolve()
    path = (data_root() / relative).resolve()
    if root not in path.parents or not path.is_file():
        raise ApplicationError("Файл не найден в хранилище.")
    return path
