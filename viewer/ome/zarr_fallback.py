"""Arrays whose codecs the fast path (codecs.py) does not know, decoded by zarr-python.

For Zarr v3, zarr-python opens the array through a read-only store over our container
(zarr_store.py) and parses its codecs with its own registry (zarr's built-in codecs, the
`numcodecs.*` codecs and any registered by an installed package); Zarr v2 codecs come from the
numcodecs registry, as zarr-python builds them. The chunks are still located and read by ZarrArray
(same keys, shard indexes and byte caps, same tile pipeline) and this module runs the codec stages
one at a time on the reading thread, under the same bounds as the fast path:

- a compressor the reader can bound (zlib, gzip, zstd, blosc, lz4, bz2, lzma, under their v3 or
  `numcodecs.*` names) is decoded by `bounded_decode`, never by the codec itself;
- any other stage's output is checked against what its chunk can hold (checksums and shuffles
  never grow their input; a third-party compressor is checked after it returns);
- the decoded chunk must have exactly the shape and data type the metadata gives.

Stages run on the reading thread: a `numcodecs.*` stage calls the numcodecs codec that
zarr-python's wrapper would call (without its hop to a worker thread), a codec with a synchronous
decode (zarr's SupportsSyncCodec) is called directly, any other runs on the thread's own event
loop with a timeout.

Codecs that can run code from the file (pickle) are refused before zarr-python sees them.
"""

from __future__ import annotations

import asyncio
import threading
import warnings
from dataclasses import dataclass
from math import prod
from typing import Any, Callable

import numpy as np

from ..container.base import Container
from ..errors import OzxError
from . import bounded_decode
from .codecs import COMPRESSORS, ChunkDecoder, Decoder, Sharding, build_sharding, check_chunk_size, max_stored_bytes

#: Most times its decoded size a chunk's data may be between two codec stages (a filter narrowing
#: 8-byte values to 1 byte on decode).
MAX_EXPANSION = 8
#: Seconds an asynchronous zarr-python codec may take on one chunk before it is given up (never a hung tile).
CHUNK_TIMEOUT_S = 30.0
_FORBIDDEN = ("pickle",)

warnings.filterwarnings("ignore", message="Numcodecs codecs are not in the Zarr version 3 specification")


def refuse_code_execution(codecs: object) -> None:
    """OzxError when any codec named anywhere in `codecs` (names and ids, nested) could run code."""
    stack = [codecs]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in ("name", "id") and isinstance(value, str) and any(f in value.lower() for f in _FORBIDDEN):
                    raise OzxError(f"the codec {value[:80]!r} can run code from the file; refused")
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)


def open_fallback(container: Container, path: str, meta: dict, chunk_shape: tuple[int, ...],
                  dtype: np.dtype, reason: str) -> ChunkDecoder | FallbackDecoder | Sharding:
    """The decoder of an array whose codecs only zarr-python knows; OzxError (starting with
    `reason`, why the fast path cannot) when zarr-python cannot read them either.

    Zarr v2 arrays name numcodecs codecs, which zarr-python itself builds with numcodecs'
    registry: they are built the same way here, without opening the array in zarr-python."""
    v2 = meta.get("zarr_format") == 2
    refuse_code_execution([meta.get("compressor"), meta.get("filters")] if v2 else meta.get("codecs"))
    check_chunk_size(chunk_shape, dtype)
    if v2:
        return _v2_decoder(meta, chunk_shape, dtype, reason)
    array = _open_zarr(container, path, max_stored_bytes(prod(chunk_shape) * dtype.itemsize), reason)
    try:
        return _v3_decoder(array.metadata, meta, chunk_shape, dtype)
    except OzxError:
        raise
    except Exception as exc:  # zarr-python's codecs refusing this chunk spec
        raise OzxError(f"{reason}, and zarr-python cannot read it either ({type(exc).__name__}: {str(exc)[:200]})") from None


def _open_zarr(container: Container, path: str, limit: int, reason: str) -> Any:
    try:
        import zarr

        from .zarr_store import ContainerStore

        return zarr.open_array(store=ContainerStore(container, path, limit), mode="r", zarr_format=3)
    except OzxError:
        raise
    except Exception as exc:  # zarr-python's own errors: unknown codec, invalid configuration…
        raise OzxError(f"{reason}, and zarr-python cannot read it either ({type(exc).__name__}: {str(exc)[:200]})") from None


def _v3_decoder(metadata: Any, meta: dict, chunk_shape: tuple[int, ...], dtype: np.dtype) -> FallbackDecoder | Sharding:
    from zarr.codecs import ShardingCodec

    codecs = tuple(metadata.codecs)
    shardings = [c for c in codecs if isinstance(c, ShardingCodec)]
    if not shardings:
        return FallbackDecoder.build(codecs, chunk_shape, dtype, metadata)
    if len(codecs) != 1:
        raise OzxError("codecs around sharding_indexed are not supported")
    (sharding,) = shardings
    if any(isinstance(c, ShardingCodec) for c in sharding.codecs):
        raise OzxError("nested sharding is not supported")
    inner_shape = tuple(sharding.chunk_shape)
    inner = FallbackDecoder.build(tuple(sharding.codecs), inner_shape, dtype, metadata)
    return build_sharding(meta["codecs"][0].get("configuration") or {}, chunk_shape, dtype, inner=inner)


@dataclass(frozen=True)
class _Stage:
    codec: Any
    spec: Any  # zarr ArraySpec of the stage's decoded side
    bounded: Decoder | None = None  # our bounded decoder for a compressor the reader knows
    sync: bool = False  # the codec decodes without an event loop (zarr.abc.codec.SupportsSyncCodec)
    direct: Any = None  # for a `numcodecs.*` codec: that numcodecs codec, called as zarr-python's wrapper does

    @classmethod
    def of(cls, codec: Any, spec: Any, bounded: Decoder | None = None) -> _Stage:
        from zarr.abc.codec import SupportsSyncCodec

        return cls(codec, spec, bounded, isinstance(codec, SupportsSyncCodec), _numcodecs_codec(codec))


@dataclass(frozen=True)
class FallbackDecoder:
    """Bytes of one stored chunk → an ndarray of `shape`, decoded by zarr-python's codec stages."""

    shape: tuple[int, ...]
    dtype: np.dtype  # native byte order
    array_stages: tuple[_Stage, ...]  # array → array, in metadata order
    to_array: _Stage  # bytes → array
    bytes_stages: tuple[_Stage, ...]  # bytes → bytes, in metadata order
    encoded_nbytes: int  # size of the bytes the array→bytes codec decodes from (uncompressed)

    @classmethod
    def build(cls, codecs: tuple, shape: tuple[int, ...], dtype: np.dtype, metadata: Any) -> FallbackDecoder:
        from zarr.abc.codec import ArrayArrayCodec, ArrayBytesCodec, BytesBytesCodec
        from zarr.core.array_spec import ArraySpec, parse_array_config
        from zarr.core.buffer import default_buffer_prototype

        spec = ArraySpec(shape, metadata.dtype, metadata.fill_value, parse_array_config(None), default_buffer_prototype())
        array_stages, bytes_stages, to_array = [], [], None
        for codec in codecs:
            if isinstance(codec, ArrayArrayCodec) and to_array is None:
                array_stages.append(_Stage.of(codec, spec))
            elif isinstance(codec, ArrayBytesCodec) and to_array is None:
                to_array = _Stage.of(codec, spec)
            elif isinstance(codec, BytesBytesCodec) and to_array is not None:
                bytes_stages.append(_Stage.of(codec, spec, _bounded_decoder(codec)))
            else:
                raise OzxError(f"the codec list has {type(codec).__name__} out of place")
            spec = codec.resolve_metadata(spec)
            check_chunk_size(spec.shape, _native(spec.dtype))
        if to_array is None:
            raise OzxError("an array's codec list has no array-to-bytes codec")
        encoded = prod(to_array.spec.shape) * _native(to_array.spec.dtype).itemsize
        return cls(tuple(shape), dtype.newbyteorder("="), tuple(array_stages), to_array, tuple(bytes_stages), encoded)

    @property
    def nbytes(self) -> int:
        """Bytes of one decoded chunk."""
        return prod(self.shape) * self.dtype.itemsize

    @property
    def stored_limit(self) -> int:
        """The most bytes a stored chunk, or the data between two byte stages, may take."""
        return max_stored_bytes(self.encoded_nbytes)

    def decode(self, raw: bytes) -> np.ndarray:
        try:
            return self._decode(raw)
        except OzxError:
            raise
        except Exception as exc:  # the codec libraries' own errors
            raise OzxError(f"a chunk is corrupt and cannot be decoded ({type(exc).__name__})") from None

    def _decode(self, raw: bytes) -> np.ndarray:
        """Every stage in decoding order, each output held to what its chunk can hold."""
        loose = self.stored_limit
        if len(raw) > loose:
            raise bounded_decode.too_large(loose)
        data: Any = self.to_array.spec.prototype.buffer.from_bytes(raw)
        for stage in reversed(self.bytes_stages):
            if stage.bounded is not None:
                out = stage.bounded(memoryview(data.as_numpy_array()), loose)
                data = stage.spec.prototype.buffer.from_bytes(out)
            elif stage.direct is not None:  # numcodecs' checksums and shuffle: never larger than their input
                data = stage.spec.prototype.buffer.from_bytes(_as_bytes(stage.direct.decode(data.as_numpy_array())))
            else:
                data = _run(stage, data)
            if len(data) > loose:
                raise bounded_decode.too_large(loose)
        if self.to_array.direct is not None:
            array = np.asarray(self.to_array.direct.decode(data.to_bytes())).reshape(self.to_array.spec.shape)
        else:
            array = _run(self.to_array, data).as_numpy_array()
        _expect(array, self.to_array.spec)
        for stage in reversed(self.array_stages):
            if stage.direct is not None:
                array = np.asarray(stage.direct.decode(array)).reshape(stage.spec.shape)
            else:
                array = _run(stage, stage.spec.prototype.nd_buffer.from_numpy_array(array)).as_numpy_array()
            _expect(array, stage.spec)
        if array.dtype.newbyteorder("=") != self.dtype or array.shape != self.shape:
            raise OzxError(f"a chunk decodes to {array.dtype} {array.shape} instead of {self.dtype} {self.shape}")
        return array if array.dtype.isnative else array.astype(self.dtype)


def _run(stage: _Stage, data: Any) -> Any:
    """One zarr-python codec stage on the calling thread: directly when the codec decodes
    synchronously (zarr's SupportsSyncCodec), else on the thread's own event loop, with a timeout."""
    if stage.sync:
        out = stage.codec._decode_sync(data, stage.spec)
    else:
        try:
            (out,) = _thread_loop().run_until_complete(
                asyncio.wait_for(stage.codec.decode([(data, stage.spec)]), CHUNK_TIMEOUT_S))
        except TimeoutError:
            raise OzxError(f"the codec {_name(stage.codec)!r} took more than {CHUNK_TIMEOUT_S:g} s on one chunk; given up") from None
    if out is None:
        raise OzxError(f"the codec {_name(stage.codec)!r} decoded nothing")
    return out


class _ThreadLoop:
    """An event loop of one thread's own, closed when the thread ends (its thread-local goes)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def __del__(self) -> None:
        self.loop.close()


_local = threading.local()


def _thread_loop() -> asyncio.AbstractEventLoop:
    """The calling thread's loop for zarr-python's async codec calls: no hop to another thread
    (zarr's own loop would serialise every reading thread's decodes onto one thread)."""
    holder = getattr(_local, "holder", None)
    if holder is None:
        holder = _local.holder = _ThreadLoop()
    return holder.loop


def _expect(array: np.ndarray, spec: Any) -> None:
    """The output of an array stage must have exactly its spec's shape and item size."""
    if array.shape != tuple(spec.shape) or array.dtype.itemsize != _native(spec.dtype).itemsize:
        raise OzxError(f"a chunk decodes to {array.dtype} {array.shape} instead of {_native(spec.dtype)} {tuple(spec.shape)}")


def _name(codec: Any) -> str:
    try:
        return str(codec.to_dict().get("name"))
    except Exception:  # a third-party codec without a usable to_dict
        return type(codec).__name__


def _numcodecs_codec(codec: Any) -> Any:
    """The numcodecs codec behind a zarr-python `numcodecs.*` codec (built from its public
    description, as zarr-python's wrapper builds it), or None for any other codec."""
    try:
        described = codec.to_dict()
        name = described.get("name")
        if not isinstance(name, str) or not name.startswith("numcodecs."):
            return None
        from numcodecs import get_codec

        return get_codec({**(described.get("configuration") or {}), "id": name.removeprefix("numcodecs.")})
    except Exception:  # then zarr-python's own decode runs it
        return None


def _as_bytes(out: Any) -> Any:
    """A numcodecs decode result as a bytes-like object zarr's Buffer takes."""
    return out.view(np.uint8).reshape(-1) if isinstance(out, np.ndarray) else out


def _native(zdtype: Any) -> np.dtype:
    return np.dtype(zdtype.to_native_dtype())


def _bounded_decoder(codec: Any) -> Decoder | None:
    """Our bounded decoder for a zarr-python compressor stage, or None for any other stage."""
    try:
        described = codec.to_dict()
    except Exception:
        return None
    name = str(described.get("name", "")).removeprefix("numcodecs.")
    config = described.get("configuration") or {}
    if name == "lzma":
        return bounded_decode.lzma_(config)
    return COMPRESSORS.get(name)


def _v2_decoder(meta: dict, chunk_shape: tuple[int, ...], dtype: np.dtype, reason: str) -> ChunkDecoder:
    """Zarr v2: the numcodecs compressor and filters; compressors the reader knows are bounded."""
    from numcodecs import get_codec

    try:
        compressor = get_codec(dict(meta["compressor"])) if meta.get("compressor") is not None else None
        filters = [get_codec(dict(item)) for item in meta.get("filters") or ()]
        configs = [f.get_config() for f in filters]
        config = compressor.get_config() if compressor is not None else {}
    except Exception as exc:  # numcodecs' errors for unknown ids or invalid settings
        raise OzxError(f"{reason}, and zarr-python cannot read it either ({type(exc).__name__}: {str(exc)[:200]})") from None
    decoders: list[Decoder] = []
    if compressor is not None:
        known = bounded_decode.lzma_(config) if config.get("id") == "lzma" else COMPRESSORS.get(config.get("id"))
        decoders.append(known or _checked(compressor.decode))
    order = meta.get("order", "C")
    if order not in ("C", "F"):
        raise OzxError(f"unknown memory order '{order}'")
    expansion = max([_expansion(c) for c in configs] + [1])
    return ChunkDecoder(tuple(chunk_shape), dtype, tuple(decoders), None, order == "F",
                        tuple(_checked(f.decode) for f in filters), expansion)


def _expansion(config: dict) -> int:
    """How many times the decoded size a filter's encoded data may be (a type narrowed on decode,
    e.g. astype from <u4 to <u2: 2), at most MAX_EXPANSION."""
    encoded = config.get("encode_dtype", config.get("astype"))
    decoded = config.get("decode_dtype", config.get("dtype"))
    if encoded is None or decoded is None:
        return 1
    try:
        wide, narrow = np.dtype(encoded).itemsize, np.dtype(decoded).itemsize
    except (TypeError, ValueError, SyntaxError):  # no dtypes in this filter's settings
        return 1
    return min(MAX_EXPANSION, max(1, -(-wide // narrow) if narrow else MAX_EXPANSION))


def _checked(decode: Callable[[Any], Any]) -> Decoder:
    """A numcodecs decode whose output is held to the stage's byte limit."""

    def run(data: bytes, limit: int) -> bytes:
        out = decode(data)  # its input was held to the previous stage's limit
        if _size(out) > limit:
            raise bounded_decode.too_large(limit)
        return out

    return run


def _size(data: Any) -> int:
    return int(data.nbytes) if hasattr(data, "nbytes") else len(data)
