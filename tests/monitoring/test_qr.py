"""The QR encoder: Reed–Solomon and format information against values published in the
standard, and every generated symbol read back by an independent decoder in this test."""

from __future__ import annotations

import pytest

from soko.monitoring import qr

pytestmark = pytest.mark.core

# ISO/IEC 18004, table of format information (level M, masks 0–7) and version 7 information.
FORMAT_M = ["101010000010010", "101000100100101", "101111001111100", "101101101001011",
            "100010111111001", "100000011001110", "100111110010111", "100101010100000"]
FORMAT_L0 = "111011111000100"
VERSION_7 = 0x07C94


def test_reed_solomon_matches_the_published_example() -> None:
    # «HELLO WORLD», version 1-M: data and error-correction codewords of the standard example.
    data = [32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17]
    assert qr.rs_remainder(data, qr.rs_divisor(10)) == [196, 35, 39, 119, 235, 215, 231, 226,
                                                        93, 23]


def test_format_and_version_information_match_the_standard() -> None:
    assert [format(qr.format_bits("M", m), "015b") for m in range(8)] == FORMAT_M
    assert format(qr.format_bits("L", 0), "015b") == FORMAT_L0
    assert qr.version_bits(7) == VERSION_7


def test_block_table_is_consistent() -> None:
    totals = {1: 26, 2: 44, 3: 70, 4: 100, 5: 134, 6: 172, 7: 196, 8: 242, 9: 292, 10: 346}
    for version, levels in qr.BLOCKS.items():
        for ec, groups in levels:
            assert sum(n * (k + ec) for n, k in groups) == totals[version]


# --- an independent reader ---------------------------------------------------------------------


def _function_area(version: int) -> list[list[bool]]:
    n = 17 + 4 * version
    area = [[False] * n for _ in range(n)]

    def mark(x0: int, y0: int, w: int, h: int) -> None:
        for y in range(max(0, y0), min(n, y0 + h)):
            for x in range(max(0, x0), min(n, x0 + w)):
                area[y][x] = True

    mark(0, 0, 9, 9)
    mark(n - 8, 0, 8, 9)
    mark(0, n - 8, 9, 8)
    mark(6, 0, 1, n)
    mark(0, 6, n, 1)
    centers = qr.ALIGNMENT[version]
    for cy in centers:
        for cx in centers:
            if (cx, cy) in {(6, 6), (6, n - 7), (n - 7, 6)}:
                continue
            mark(cx - 2, cy - 2, 5, 5)
    if version >= 7:
        mark(n - 11, 0, 3, 6)
        mark(0, n - 11, 6, 3)
    return area


def _mask(m: int, row: int, col: int) -> bool:
    i, j = row, col
    return [
        (i + j) % 2 == 0, i % 2 == 0, j % 3 == 0, (i + j) % 3 == 0,
        (i // 2 + j // 3) % 2 == 0, (i * j) % 2 + (i * j) % 3 == 0,
        ((i * j) % 2 + (i * j) % 3) % 2 == 0, ((i + j) % 2 + (i * j) % 3) % 2 == 0,
    ][m]


def read_back(code: qr.QrCode) -> str:
    m = code.modules
    n = len(m)
    version = (n - 17) // 4
    # finder patterns in three corners
    for x0, y0 in ((0, 0), (n - 7, 0), (0, n - 7)):
        for dy in range(7):
            for dx in range(7):
                ring = max(abs(dx - 3), abs(dy - 3))
                assert m[y0 + dy][x0 + dx] == (ring != 2)
    assert all(m[6][x] == (x % 2 == 0) for x in range(8, n - 8))  # timing
    assert m[n - 8][8]  # dark module
    # format information, first copy: bits 14..0 around the top-left finder
    positions = [(8, 0), (8, 1), (8, 2), (8, 3), (8, 4), (8, 5), (8, 7), (8, 8), (7, 8),
                 (5, 8), (4, 8), (3, 8), (2, 8), (1, 8), (0, 8)]  # (row, col) of bits 14..0
    bits = "".join("1" if m[r][c] else "0" for r, c in positions)
    table = {format(qr.format_bits(lv, mk), "015b"): (lv, mk) for lv in "LMQH" for mk in range(8)}
    level, mask = table[bits]
    # second copy: bits 14..8 down the left column, 7..0 along row 8 on the right
    second = "".join("1" if m[n - 1 - i][8] else "0" for i in range(7))
    second += "".join("1" if m[8][n - 8 + i] else "0" for i in range(8))
    assert second == bits
    # the data stream, read in two-column strips from the right, alternating direction
    area = _function_area(version)
    stream: list[int] = []
    col = n - 1
    upward = True
    while col > 0:
        if col == 6:
            col -= 1
        rows = range(n - 1, -1, -1) if upward else range(n)
        for row in rows:
            for c in (col, col - 1):
                if not area[row][c]:
                    stream.append(int(m[row][c] ^ _mask(mask, row, c)))
        upward = not upward
        col -= 2
    ec_len, groups = qr.BLOCKS[version]["LMQH".index(level)]
    sizes = [k for count, k in groups for _ in range(count)]
    total = sum(sizes) + ec_len * len(sizes)
    words = [int("".join(map(str, stream[i * 8:i * 8 + 8])), 2) for i in range(total)]
    blocks: list[list[int]] = [[] for _ in sizes]
    pos = 0
    for i in range(max(sizes)):
        for b, size in enumerate(sizes):
            if i < size:
                blocks[b].append(words[pos])
                pos += 1
    eccs: list[list[int]] = [[] for _ in sizes]
    for _ in range(ec_len):
        for b in range(len(sizes)):
            eccs[b].append(words[pos])
            pos += 1
    divisor = qr.rs_divisor(ec_len)
    for data, ecc in zip(blocks, eccs, strict=True):
        assert qr.rs_remainder(data, divisor) == ecc
    data_bits = "".join(format(w, "08b") for b in blocks for w in b)
    assert data_bits[:4] == "0100"  # byte mode
    count_len = 8 if version <= 9 else 16
    length = int(data_bits[4:4 + count_len], 2)
    start = 4 + count_len
    payload = bytes(int(data_bits[start + 8 * i:start + 8 * i + 8], 2) for i in range(length))
    return payload.decode("utf-8")


@pytest.mark.parametrize(
    "text",
    [
        "https://soko.example.ru/monitoring/s/AbCdEf123456xyz/",
        "Анкета для родителей",
        "x",
        "https://soko.example.ru/monitoring/s/" + "q" * 160,
    ],
)
def test_symbols_read_back_to_the_text(text: str) -> None:
    code = qr.encode(text)
    assert read_back(code) == text


@pytest.mark.parametrize("mask", range(8))
def test_every_mask_produces_a_readable_symbol(mask: int) -> None:
    code = qr.encode("https://soko.example.ru/monitoring/s/mask-test/", mask=mask)
    assert code.mask == mask
    assert read_back(code) == "https://soko.example.ru/monitoring/s/mask-test/"


def test_the_smallest_version_is_chosen_and_long_text_is_refused() -> None:
    assert qr.encode("HELLO").version == 1
    assert qr.encode("a" * 60).version == 4
    assert qr.encode("a" * 200).version >= 7  # version information is drawn
    with pytest.raises(qr.QrTooLong):
        qr.encode("a" * 300)


def test_svg_has_a_quiet_zone_and_dark_modules() -> None:
    svg = qr.svg("https://soko.example.ru/s/1/", title="Анкета <школа>")
    size = qr.encode("https://soko.example.ru/s/1/").size
    assert size == 29  # version 3: 28 bytes do not fit version 2-M
    assert svg.startswith("<svg") and f'viewBox="0 0 {size + 8} {size + 8}"' in svg
    assert "<title>Анкета &lt;школа&gt;</title>" in svg
    assert "M4,4h7v1h-7z" in svg  # the top row of the top-left finder pattern
