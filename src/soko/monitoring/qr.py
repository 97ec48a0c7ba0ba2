"""A small QR Code encoder (ISO/IEC 18004, byte mode, versions 1–10) that writes SVG.

Enough for the links of anonymous surveys (up to 213 bytes at level M). Pure Python, no
dependencies: Reed–Solomon over GF(256) with the polynomial 0x11D, the standard block
structure, the eight masks with the penalty rules, format and version information.
The algorithm follows the standard; the layout of the code mirrors Project Nayuki's
reference description of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Error-correction level → (format bits, index in the block table).
LEVELS: dict[str, tuple[int, int]] = {"L": (1, 0), "M": (0, 1), "Q": (3, 2), "H": (2, 3)}

#: version → per level (L, M, Q, H): (EC codewords per block, [(blocks, data codewords)…]).
BLOCKS: dict[int, tuple[tuple[int, tuple[tuple[int, int], ...]], ...]] = {
    1: ((7, ((1, 19),)), (10, ((1, 16),)), (13, ((1, 13),)), (17, ((1, 9),))),
    2: ((10, ((1, 34),)), (16, ((1, 28),)), (22, ((1, 22),)), (28, ((1, 16),))),
    3: ((15, ((1, 55),)), (26, ((1, 44),)), (18, ((2, 17),)), (22, ((2, 13),))),
    4: ((20, ((1, 80),)), (18, ((2, 32),)), (26, ((2, 24),)), (16, ((4, 9),))),
    5: ((26, ((1, 108),)), (24, ((2, 43),)), (18, ((2, 15), (2, 16))), (22, ((2, 11), (2, 12)))),
    6: ((18, ((2, 68),)), (16, ((4, 27),)), (24, ((4, 19),)), (28, ((4, 15),))),
    7: ((20, ((2, 78),)), (18, ((4, 31),)), (18, ((2, 14), (4, 15))), (26, ((4, 13), (1, 14)))),
    8: ((24, ((2, 97),)), (22, ((2, 38), (2, 39))), (22, ((4, 18), (2, 19))),
        (26, ((4, 14), (2, 15)))),
    9: ((30, ((2, 116),)), (22, ((3, 36), (2, 37))), (20, ((4, 16), (4, 17))),
        (24, ((4, 12), (4, 13)))),
    10: ((18, ((2, 68), (2, 69))), (26, ((4, 43), (1, 44))), (24, ((6, 19), (2, 20))),
         (28, ((6, 15), (2, 16)))),
}
ALIGNMENT: dict[int, tuple[int, ...]] = {
    1: (), 2: (6, 18), 3: (6, 22), 4: (6, 26), 5: (6, 30), 6: (6, 34), 7: (6, 22, 38),
    8: (6, 24, 42), 9: (6, 26, 46), 10: (6, 28, 50),
}
MAX_VERSION = 10


class QrTooLong(ValueError):
    pass


def gf_mul(x: int, y: int) -> int:
    """Multiply in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1."""
    z = 0
    for i in reversed(range(8)):
        z = (z << 1) ^ ((z >> 7) * 0x11D)
        z ^= ((y >> i) & 1) * x
    return z & 0xFF


def rs_divisor(degree: int) -> list[int]:
    """Coefficients of the generator polynomial of the given degree (highest first, without
    the leading 1)."""
    result = [0] * (degree - 1) + [1]
    root = 1
    for _ in range(degree):
        for j in range(degree):
            result[j] = gf_mul(result[j], root)
            if j + 1 < degree:
                result[j] ^= result[j + 1]
        root = gf_mul(root, 0x02)
    return result


def rs_remainder(data: Sequence[int], divisor: Sequence[int]) -> list[int]:
    """The Reed–Solomon error-correction codewords of ``data``."""
    result = [0] * len(divisor)
    for byte in data:
        factor = byte ^ result.pop(0)
        result.append(0)
        for i, coef in enumerate(divisor):
            result[i] ^= gf_mul(coef, factor)
    return result


def _capacity(version: int, level: str) -> int:
    _, groups = BLOCKS[version][LEVELS[level][1]]
    return sum(n * k for n, k in groups)


def data_codewords(payload: bytes, version: int, level: str) -> list[int]:
    """Byte-mode bit stream padded to the data capacity of the version and level."""
    bits: list[int] = []

    def put(value: int, length: int) -> None:
        bits.extend((value >> i) & 1 for i in reversed(range(length)))

    put(0b0100, 4)
    put(len(payload), 8 if version <= 9 else 16)
    for b in payload:
        put(b, 8)
    capacity_bits = _capacity(version, level) * 8
    if len(bits) > capacity_bits:
        raise QrTooLong(f"{len(payload)} bytes do not fit version {version}-{level}")
    put(0, min(4, capacity_bits - len(bits)))
    put(0, (-len(bits)) % 8)
    words = [int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits), 8)]
    pad = (0xEC, 0x11)
    i = 0
    while len(words) < capacity_bits // 8:
        words.append(pad[i % 2])
        i += 1
    return words


def interleave(words: Sequence[int], version: int, level: str) -> list[int]:
    """Split data into blocks, add error correction to each and interleave them."""
    ec_len, groups = BLOCKS[version][LEVELS[level][1]]
    divisor = rs_divisor(ec_len)
    blocks: list[list[int]] = []
    eccs: list[list[int]] = []
    pos = 0
    for count, size in groups:
        for _ in range(count):
            block = list(words[pos:pos + size])
            pos += size
            blocks.append(block)
            eccs.append(rs_remainder(block, divisor))
    out: list[int] = []
    for i in range(max(len(b) for b in blocks)):
        out.extend(b[i] for b in blocks if i < len(b))
    for i in range(ec_len):
        out.extend(e[i] for e in eccs)
    return out


def format_bits(level: str, mask: int) -> int:
    data = LEVELS[level][0] << 3 | mask
    rem = data
    for _ in range(10):
        rem = (rem << 1) ^ ((rem >> 9) * 0x537)
    return (data << 10 | rem) ^ 0x5412


def version_bits(version: int) -> int:
    rem = version
    for _ in range(12):
        rem = (rem << 1) ^ ((rem >> 11) * 0x1F25)
    return version << 12 | rem


@dataclass
class QrCode:
    version: int
    level: str
    mask: int
    modules: list[list[bool]]  # [row][column], True = dark

    @property
    def size(self) -> int:
        return len(self.modules)


class _Matrix:
    def __init__(self, version: int) -> None:
        self.version = version
        self.size = version * 4 + 17
        self.dark = [[False] * self.size for _ in range(self.size)]
        self.function = [[False] * self.size for _ in range(self.size)]

    def set_function(self, x: int, y: int, dark: bool) -> None:
        self.dark[y][x] = dark
        self.function[y][x] = True

    def draw_function_patterns(self) -> None:
        n = self.size
        for i in range(n):
            self.set_function(6, i, i % 2 == 0)
            self.set_function(i, 6, i % 2 == 0)
        for cx, cy in ((3, 3), (n - 4, 3), (3, n - 4)):
            for dy in range(-4, 5):
                for dx in range(-4, 5):
                    x, y = cx + dx, cy + dy
                    if 0 <= x < n and 0 <= y < n:
                        dist = max(abs(dx), abs(dy))
                        self.set_function(x, y, dist not in (2, 4))
        centers = ALIGNMENT[self.version]
        last = len(centers) - 1
        for i, cx in enumerate(centers):
            for j, cy in enumerate(centers):
                if (i == 0 and j == 0) or (i == 0 and j == last) or (i == last and j == 0):
                    continue
                for dy in range(-2, 3):
                    for dx in range(-2, 3):
                        self.set_function(cx + dx, cy + dy, max(abs(dx), abs(dy)) != 1)
        self.draw_format(0, "M")  # reserve the areas; redrawn after masking
        if self.version >= 7:
            bits = version_bits(self.version)
            for i in range(18):
                bit = (bits >> i) & 1 == 1
                a, b = n - 11 + i % 3, i // 3
                self.set_function(a, b, bit)
                self.set_function(b, a, bit)

    def draw_format(self, mask: int, level: str) -> None:
        bits = format_bits(level, mask)
        n = self.size

        def bit(i: int) -> bool:
            return (bits >> i) & 1 == 1

        for i in range(6):
            self.set_function(8, i, bit(i))
        self.set_function(8, 7, bit(6))
        self.set_function(8, 8, bit(7))
        self.set_function(7, 8, bit(8))
        for i in range(9, 15):
            self.set_function(14 - i, 8, bit(i))
        for i in range(8):
            self.set_function(n - 1 - i, 8, bit(i))
        for i in range(8, 15):
            self.set_function(8, n - 15 + i, bit(i))
        self.set_function(8, n - 8, True)  # the dark module

    def place_data(self, codewords: Sequence[int]) -> None:
        n = self.size
        total_bits = len(codewords) * 8
        i = 0
        right = n - 1
        while right >= 1:
            if right == 6:
                right = 5
            for vert in range(n):
                for j in range(2):
                    x = right - j
                    upward = ((right + 1) & 2) == 0
                    y = n - 1 - vert if upward else vert
                    if not self.function[y][x] and i < total_bits:
                        self.dark[y][x] = (codewords[i >> 3] >> (7 - (i & 7))) & 1 == 1
                        i += 1
            right -= 2

    def apply_mask(self, mask: int) -> None:
        for y in range(self.size):
            for x in range(self.size):
                if self.function[y][x]:
                    continue
                if _mask_bit(mask, x, y):
                    self.dark[y][x] = not self.dark[y][x]


def _mask_bit(mask: int, x: int, y: int) -> bool:
    if mask == 0:
        return (x + y) % 2 == 0
    if mask == 1:
        return y % 2 == 0
    if mask == 2:
        return x % 3 == 0
    if mask == 3:
        return (x + y) % 3 == 0
    if mask == 4:
        return (x // 3 + y // 2) % 2 == 0
    if mask == 5:
        return x * y % 2 + x * y % 3 == 0
    if mask == 6:
        return (x * y % 2 + x * y % 3) % 2 == 0
    return ((x + y) % 2 + x * y % 3) % 2 == 0


_FINDER_LIKE = ((1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0), (0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1))


def penalty(modules: Sequence[Sequence[bool]]) -> int:
    """The penalty score of a masked symbol (rules N1–N4 of the standard)."""
    n = len(modules)
    score = 0
    lines = [list(row) for row in modules] + [[modules[y][x] for y in range(n)] for x in range(n)]
    for line in lines:
        run = 1
        for i in range(1, n):
            if line[i] == line[i - 1]:
                run += 1
            else:
                if run >= 5:
                    score += 3 + run - 5
                run = 1
        if run >= 5:
            score += 3 + run - 5
        as_bits = tuple(int(v) for v in line)
        for i in range(n - 10):
            if as_bits[i:i + 11] in _FINDER_LIKE:
                score += 40
    for y in range(n - 1):
        for x in range(n - 1):
            c = modules[y][x]
            if c == modules[y][x + 1] == modules[y + 1][x] == modules[y + 1][x + 1]:
                score += 3
    dark = sum(sum(1 for v in row if v) for row in modules)
    percent = dark * 100 / (n * n)
    score += int(abs(percent - 50) // 5) * 10
    return score


def encode(text: str, level: str = "M", mask: int | None = None) -> QrCode:
    """Encode text (UTF-8, byte mode) in the smallest version that fits; the mask with the
    lowest penalty unless ``mask`` is given."""
    payload = text.encode("utf-8")
    for version in range(1, MAX_VERSION + 1):
        header_bits = 4 + (8 if version <= 9 else 16)
        if header_bits + len(payload) * 8 <= _capacity(version, level) * 8:
            break
    else:
        raise QrTooLong(f"the text is too long for a QR code up to version {MAX_VERSION}")
    codewords = interleave(data_codewords(payload, version, level), version, level)
    best: QrCode | None = None
    best_score = -1
    for candidate in range(8) if mask is None else (mask,):
        m = _Matrix(version)
        m.draw_function_patterns()
        m.place_data(codewords)
        m.apply_mask(candidate)
        m.draw_format(candidate, level)
        score = penalty(m.dark)
        if best is None or score < best_score:
            best = QrCode(version, level, candidate, [row[:] for row in m.dark])
            best_score = score
    assert best is not None
    return best


def to_svg(code: QrCode, *, module: int = 4, border: int = 4, title: str = "") -> str:
    """The symbol as an SVG image (one path, crisp edges) with a quiet zone of ``border``."""
    size = code.size + 2 * border
    parts = []
    for y, row in enumerate(code.modules):
        x = 0
        while x < code.size:
            if row[x]:
                start = x
                while x < code.size and row[x]:
                    x += 1
                parts.append(f"M{start + border},{y + border}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    px = size * module
    label = f"<title>{_escape(title)}</title>" if title else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{px}" '
        f'height="{px}" shape-rendering="crispEdges" role="img">{label}'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path d="{"".join(parts)}" fill="#000"/></svg>'
    )


def _escape(text: str) -> str:
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        text = text.replace(char, entity)
    return text


def svg(text: str, *, level: str = "M", module: int = 4, title: str = "") -> str:
    """Encode ``text`` and return the SVG markup."""
    return to_svg(encode(text, level), module=module, title=title)
