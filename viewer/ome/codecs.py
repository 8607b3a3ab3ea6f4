"""Chunk decoding for Zarr v3 codec pipelines and Zarr v2 compressors, driven through numcodecs.

zarr-python's own async store path is bypassed on purpose: decoding straight from positional
reads is 2–3× faster (see benchmarks/bench_reading.py). Only codecs on an allow-list are built
here; any other name raises UnknownCodec, and the array is then decoded through zarr-python
(zarr_fallback.py), which refuses codecs that could run code (pickle). Every decompressor is
bounded by the size the chunk must decode to (`bounded_decode`), never by a size the compressed
data announces.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Callable, Protocol, Sequence

import numpy as np

from ..errors import OzxError
from . import bounded_decode

#: Largest decoded chunk the reader accepts; guards against absurd declared chunk shapes.
MAX_CHUNK_BYTES = 1 << 30
#: (stored bytes, most bytes the stage may produce) → decoded bytes.
Decoder = Callable[[bytes, int], bytes]


class UnknownCodec(OzxError):
    """A codec the fast path does not know; zarr-python may (see zarr_fallback)."""


class ChunkDecoding(Protocol):
    """What ZarrArray needs of a chunk decoder (ChunkDecoder, or zarr_fallback.FallbackDecoder)."""

    shape: tuple[int, ...]

    @property
    def nbytes(self) -> int: ...

    @property
    def stored_limit(self) -> int: ...

    def decode(self, raw: bytes) -> np.ndarray: ...


def max_stored_bytes(decoded: int) -> int:
    """The most bytes a stored chunk of `decoded` bytes can take: the data, plus what any of the
    supported codecs adds to incompressible data (headers, block overhead, checksums)."""
    return decoded + decoded // 16 + 4096


def _numcodecs_filter(config: dict) -> Decoder:
    from numcodecs import get_codec

    try:
        codec = get_codec(dict(config))
    except (ValueError, TypeError, KeyError) as exc:
        raise OzxError(f"the filter settings {config.get('id')!r} are invalid ({exc})") from None

    def decode(data: bytes, limit: int) -> bytes:
        if len(data) > limit:
            raise bounded_decode.too_large(limit)
        return codec.decode(data)

    return decode


#: Bounded decoders of the compressors, by their numcodecs id / Zarr v3 name.
COMPRESSORS: dict[str, Decoder] = {
    "zlib": bounded_decode.inflate, "gzip": bounded_decode.gzip, "zstd": bounded_decode.zstd,
    "blosc": bounded_decode.blosc, "lz4": bounded_decode.lz4, "bz2": bounded_decode.bz2_,
}
_V3_BYTES_CODECS = {"zstd", "gzip", "blosc"}


def _v2_compressor(config: dict) -> Decoder:
    name = config.get("id")
    if name == "lzma":
        return bounded_decode.lzma_(config)
    if name not in COMPRESSORS:
        raise UnknownCodec(f"the compressor {name!r} is not supported")
    return COMPRESSORS[name]


def _v3_bytes_codec(name: str, config: dict) -> Decoder:
    if name == "crc32c":
        return _strip_crc32c
    if name not in _V3_BYTES_CODECS:
        raise UnknownCodec(f"the codec '{name}' is not supported")
    return COMPRESSORS[name]


def _strip_crc32c(data: bytes, limit: int = 0) -> bytes:
    if len(data) < 4:
        raise OzxError("a chunk is corrupt (shorter than its CRC32C checksum)")
    return memoryview(data)[:-4]


_V2_COMPRESSORS = {"blosc", "zstd", "zlib", "gzip", "lz4", "bz2", "lzma"}
_V2_FILTERS = {"delta", "fixedscaleoffset", "shuffle", "bitround", "quantize"}


@dataclass(frozen=True)
class Sharding:
    """The `sharding_indexed` codec: inner chunk shape and how inner chunks / the index decode."""

    inner_shape: tuple[int, ...]
    inner: ChunkDecoding
    index_decoders: tuple[Decoder, ...]
    index_nbytes: int
    index_at_end: bool

    def chunks_per_shard(self, shard_shape: Sequence[int]) -> tuple[int, ...]:
        return tuple(s // i for s, i in zip(shard_shape, self.inner_shape))

    def decode_index(self, raw: bytes, per_shard: tuple[int, ...]) -> np.ndarray:
        """(offset, nbytes) per inner chunk; 2**64-1 marks an empty chunk."""
        for decode in reversed(self.index_decoders):
            raw = decode(raw, self.index_nbytes)
        index = np.frombuffer(raw, dtype="<u8")
        if index.size != 2 * prod(per_shard):
            raise OzxError("a shard index is corrupt (wrong size)")
        return index.reshape(per_shard + (2,))


@dataclass(frozen=True)
class ChunkDecoder:
    """Bytes of one stored chunk → an ndarray of the chunk shape, native byte order."""

    shape: tuple[int, ...]
    dtype: np.dtype  # with the stored byte order
    bytes_decoders: tuple[Decoder, ...] = ()
    transpose: tuple[int, ...] | None = None  # stored axis order (v3 transpose codec)
    fortran: bool = False  # v2 order "F"
    filters: tuple[Decoder, ...] = ()
    expansion: int = 1  # data between stages may be this many times the chunk (filters that narrow types)

    @property
    def nbytes(self) -> int:
        """Bytes of one decoded chunk."""
        return prod(self.shape) * self.dtype.itemsize

    @property
    def stored_limit(self) -> int:
        """The most bytes a stored chunk, or the data between two stages, may take."""
        return max_stored_bytes(self.nbytes * self.expansion)

    def decode(self, raw: bytes) -> np.ndarray:
        data = raw
        exact = self.nbytes
        loose = self.stored_limit  # for stages whose output feeds another codec
        stages = [*reversed(self.bytes_decoders), *reversed(self.filters)]
        try:
            for i, decode in enumerate(stages):
                data = decode(data, exact if i == len(stages) - 1 else loose)
        except OzxError:
            raise
        except Exception as exc:  # zlib.error, RuntimeError, BadGzipFile… from the codec libraries
            raise OzxError(f"a chunk is corrupt and cannot be decompressed ({type(exc).__name__})") from None
        stored_shape = self.shape if self.transpose is None else tuple(self.shape[i] for i in self.transpose)
        flat = np.frombuffer(data, dtype=self.dtype) if not isinstance(data, np.ndarray) else data.view(self.dtype).ravel()
        if flat.size != prod(stored_shape):
            raise OzxError(f"a chunk is corrupt: it decodes to {flat.size} values instead of {prod(stored_shape)}")
        array = flat.reshape(stored_shape, order="F" if self.fortran else "C")
        if self.transpose is not None:
            array = array.transpose(np.argsort(self.transpose))
        if not array.dtype.isnative:
            array = array.astype(array.dtype.newbyteorder("="))
        return array


def check_chunk_size(shape: Sequence[int], dtype: np.dtype) -> None:
    """Refuse chunk shapes whose decoded size would be absurd (never allocate from a declared size)."""
    if prod(shape) * dtype.itemsize > MAX_CHUNK_BYTES:
        raise OzxError(f"a chunk of shape {tuple(shape)} would need more than 1 GiB to decode; refused")


def build_v3(codecs: list, chunk_shape: tuple[int, ...], dtype: np.dtype) -> ChunkDecoder | Sharding:
    """Turn a v3 `codecs` list into a decoder (or a Sharding for `sharding_indexed`)."""
    if not isinstance(codecs, list) or not codecs:
        raise OzxError("an array's codec list is missing or empty")
    transpose: tuple[int, ...] | None = None
    order = tuple(range(len(chunk_shape)))
    array_to_bytes: tuple[str, dict] | None = None
    bytes_decoders: list[Decoder] = []
    for item in codecs:
        name, config = _codec_name(item)
        if array_to_bytes is None:
            if name == "transpose":
                perm = config.get("order")
                if isinstance(perm, str):  # very early drafts: "C" / "F"
                    perm = list(range(len(chunk_shape)))[:: -1 if perm == "F" else 1]
                if not isinstance(perm, list) or sorted(perm) != list(range(len(chunk_shape))):
                    raise OzxError("an array's transpose codec has an invalid order")
                order = tuple(order[p] for p in perm)
                transpose = order
                continue
            if name in ("bytes", "endian", "sharding_indexed"):
                array_to_bytes = (name, config)
                continue
            raise UnknownCodec(f"the codec '{name}' is not supported")
        bytes_decoders.append(_v3_bytes_codec(name, config))
    if array_to_bytes is None:
        raise OzxError("an array's codec list has no array-to-bytes codec")
    name, config = array_to_bytes
    if name == "sharding_indexed":
        if transpose is not None or bytes_decoders:
            raise OzxError("codecs around sharding_indexed are not supported")
        return build_sharding(config, chunk_shape, dtype)
    endian = config.get("endian", "little")
    if endian not in ("little", "big"):
        raise OzxError(f"an array has an unknown byte order '{endian}'")
    stored = dtype.newbyteorder("<" if endian == "little" else ">") if dtype.itemsize > 1 else dtype
    check_chunk_size(chunk_shape, dtype)
    return ChunkDecoder(chunk_shape, stored, tuple(bytes_decoders), transpose)


def build_sharding(config: dict, shard_shape: tuple[int, ...], dtype: np.dtype,
                   inner: ChunkDecoding | None = None) -> Sharding:
    """The `sharding_indexed` codec; `inner` decodes inner chunks (default: built from its codecs)."""
    inner_shape = config.get("chunk_shape")
    if (
        not isinstance(inner_shape, list)
        or len(inner_shape) != len(shard_shape)
        or not all(isinstance(i, int) and i > 0 for i in inner_shape)
        or any(s % i for s, i in zip(shard_shape, inner_shape))
    ):
        raise OzxError("the sharding codec's inner chunk shape does not divide the shard shape")
    if inner is None:
        inner = build_v3(config.get("codecs", [{"name": "bytes"}]), tuple(inner_shape), dtype)
    if isinstance(inner, Sharding):
        raise OzxError("nested sharding is not supported")
    index_decoders: list[Decoder] = []
    extra = 0
    index_codecs = config.get("index_codecs", [{"name": "bytes"}, {"name": "crc32c"}])
    if not isinstance(index_codecs, list):
        raise OzxError("the sharding codec's 'index_codecs' is not a list")
    for item in index_codecs:
        name, cfg = _codec_name(item)
        if name == "bytes":
            if cfg.get("endian", "little") != "little":
                raise OzxError("big-endian shard indexes are not supported")
        elif name == "crc32c":
            index_decoders.append(_strip_crc32c)
            extra += 4
        else:
            raise OzxError(f"the shard index codec '{name}' is not supported")
    per_shard = tuple(s // i for s, i in zip(shard_shape, inner_shape))
    index_nbytes = 16 * prod(per_shard) + extra
    if index_nbytes > MAX_CHUNK_BYTES:
        raise OzxError("a shard index would be larger than 1 GiB; refused")
    location = config.get("index_location", "end")
    if location not in ("start", "end"):
        raise OzxError(f"unknown shard index location '{location}'")
    return Sharding(tuple(inner_shape), inner, tuple(index_decoders), index_nbytes, location == "end")


def build_v2(meta: dict, chunk_shape: tuple[int, ...], dtype: np.dtype) -> ChunkDecoder:
    """Decoder for a Zarr v2 `.zarray` (compressor, filters, C/F order)."""
    compressor = meta.get("compressor")
    decoders: list[Decoder] = []
    if compressor is not None:
        if not isinstance(compressor, dict) or not isinstance(compressor.get("id"), str):
            raise OzxError(f"the compressor {str(compressor)[:80]!r} is not a codec description")
        if compressor["id"] not in _V2_COMPRESSORS:
            raise UnknownCodec(f"the compressor {compressor['id']!r} is not supported")
        decoders.append(_v2_compressor(compressor))
    filters: list[Decoder] = []
    raw_filters = meta.get("filters") or []
    if not isinstance(raw_filters, list):
        raise OzxError("'filters' is not a list")
    for item in raw_filters:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise OzxError(f"the filter {str(item)[:80]!r} is not a codec description")
        if item["id"] not in _V2_FILTERS:
            raise UnknownCodec(f"the filter {item['id']!r} is not supported")
        filters.append(_numcodecs_filter(item))
    order = meta.get("order", "C")
    if order not in ("C", "F"):
        raise OzxError(f"unknown memory order '{order}'")
    check_chunk_size(chunk_shape, dtype)
    return ChunkDecoder(chunk_shape, dtype, tuple(decoders), None, order == "F", tuple(filters))


def _codec_name(item: object) -> tuple[str, dict]:
    if isinstance(item, str):
        return item, {}
    if isinstance(item, dict) and isinstance(item.get("name"), str):
        config = item.get("configuration") or {}
        if not isinstance(config, dict):
            raise OzxError(f"the codec '{item['name']}' has an invalid configuration")
        return item["name"], config
    raise OzxError("an array's codec list has an entry without a name")
