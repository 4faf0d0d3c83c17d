#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_image_folder (corpus/fuzz_image_folder/): the kinds of image
file a folder may hold that the decoder path must take or refuse cleanly, made byte by byte
(16-bit, grey+alpha, palette, RGBA, 1x1 PNG; a truncated and an empty one; a 20000x20000
header over one row of data; a 28x28 PGM; a baseline CMYK JPEG with Adobe's marker)."""
import os
import struct
import zlib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_image_folder")


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width, height, depth, colour_type, rows, extra=b""):
    raw = b"".join(b"\0" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + extra + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def huffman_codes(bits, values):
    table, code, k = {}, 0, 0
    for length in range(1, 17):
        for _ in range(bits[length - 1]):
            table[values[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return table


def jpeg_cmyk(samples):
    """An 8x8 four-component baseline JPEG, each component one flat block (DC only)."""
    # The standard luminance DC and AC tables (ITU T.81, K.3 and K.5).
    dc_bits = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    dc_values = list(range(12))
    ac_bits = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D]
    ac_values = bytes.fromhex(
        "01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25"
        "262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a83"
        "8485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3"
        "d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa")
    dc, ac = huffman_codes(dc_bits, dc_values), huffman_codes(ac_bits, list(ac_values))

    def segment(marker, data):
        return b"\xff" + bytes([marker]) + struct.pack(">H", len(data) + 2) + data

    out = b"\xff\xd8" + segment(0xEE, b"Adobe" + struct.pack(">HHHB", 100, 0, 0, 0))  # transform 0: CMYK
    out += segment(0xDB, b"\x00" + bytes([1] * 64))  # a quantizer of ones
    out += segment(0xC0, struct.pack(">BHHB", 8, 8, 8, 4) + b"".join(bytes([i + 1, 0x11, 0]) for i in range(4)))
    out += segment(0xC4, b"\x00" + bytes(dc_bits) + bytes(dc_values)) + segment(0xC4, b"\x10" + bytes(ac_bits) + ac_values)
    out += segment(0xDA, bytes([4]) + b"".join(bytes([i + 1, 0x00]) for i in range(4)) + b"\x00\x3f\x00")
    bits = ""
    for sample in samples:  # the DC coefficient of a flat block is 8 * (sample - 128)
        diff = 8 * (sample - 128)
        size = abs(diff).bit_length()
        code, length = dc[size]
        bits += format(code, "0%db" % length)
        if size:
            bits += format(diff if diff > 0 else diff + (1 << size) - 1, "0%db" % size)
        code, length = ac[0x00]  # end of block
        bits += format(code, "0%db" % length)
    bits += "1" * (-len(bits) % 8)
    data = bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8)).replace(b"\xff", b"\xff\x00")
    return out + data + b"\xff\xd9"


def main():
    os.makedirs(OUT, exist_ok=True)
    side = 8

    def ink(x, y):
        return 255 if 2 <= x <= 5 and y in (2, 5) else 0

    def rows(pixel):
        return [b"".join(pixel(x, y) for x in range(side)) for y in range(side)]

    files = {
        "gray16.png": png(side, side, 16, 0, rows(lambda x, y: struct.pack(">H", ink(x, y) * 257))),
        "gray-alpha.png": png(side, side, 8, 4, rows(lambda x, y: bytes([ink(x, y), 255 if ink(x, y) else 128]))),
        "palette.png": png(side, side, 8, 3, rows(lambda x, y: bytes([1 if ink(x, y) else (2 if x == 0 else 0)])),
                           chunk(b"PLTE", bytes([0, 0, 0, 255, 255, 255, 255, 0, 0]))),
        "rgba.png": png(side, side, 8, 6, rows(lambda x, y: bytes([ink(x, y)] * 3 + [255]))),
        "one-pixel.png": png(1, 1, 8, 0, [b"\xff"]),
        "empty.png": b"",
        "huge-header.png": b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 20000, 20000, 8, 0, 0, 0, 0))
                           + chunk(b"IDAT", zlib.compress(b"\0" + b"\x80" * 20000)) + chunk(b"IEND", b""),
        "bar-28x28.pgm": b"P5\n28 28\n255\n" + bytes(255 if 10 <= x <= 17 else 0 for y in range(28) for x in range(28)),
        "cmyk.jpg": jpeg_cmyk([40, 200, 90, 10]),
    }
    whole = png(side, side, 8, 0, rows(lambda x, y: bytes([ink(x, y)])))
    files["truncated.png"] = whole[:len(whole) // 2]
    for name, data in files.items():
        with open(os.path.join(OUT, name), "wb") as file:
            file.write(data)


if __name__ == "__main__":
    main()
