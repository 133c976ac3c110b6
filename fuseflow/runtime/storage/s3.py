"""S3Store: results as objects in an S3 bucket (or any S3-compatible service), via s3fs.

    s3://bucket/prefix/<workflow>/<node>/<key>.ffp
    s3://bucket/prefix/<workflow>/.sources/<hash>    a .fuse file that wrote results (markers.py)

Each object is a one-entry pack (pack.py): the node, the key, the key's
description (meta) and the whole record with its own CRC, so an object
tells everything about itself. It is written by one PUT, or for a large
one by a multipart upload that S3 makes visible only when it completes:
a reader never sees part of an object, and a killed writer leaves at most
an incomplete upload, invisible, which ``gc`` aborts.

Endpoint, region and credentials come the standard AWS ways (environment
variables such as AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_PROFILE; the
files ~/.aws/config and ~/.aws/credentials), or from query options in the
URL: ``s3://bucket/prefix?endpoint_url=http://127.0.0.1:9000&region=eu-west-1``
(see OPTIONS). s3fs is imported only when such a store is first used.
"""

from __future__ import annotations

import builtins
import contextlib
import fnmatch
import json
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from ..extras import optional
from . import markers, pack
from .base import Garbage, MissingResult, Source, StorageUnavailable, StorageWarning, Store, StoredResult
from .format import PEEK_SIZE, Buffer, CorruptRecord, address, aligned, decode, encode_header, peek_serializer
from .names import check_name, hint
from .serializers import REGISTRY, SerializerRegistry

if TYPE_CHECKING:  # imported on first use (_filesystem)
    import s3fs

SUFFIX = ".ffp"
SINGLE_PUT_MAX = 32 << 20  # larger objects go up as a multipart upload, part by part
PART_SIZE = 32 << 20
REFRESH_AFTER = 1.0
PREFETCH_MAX = 1 << 20  # objects up to this size are fetched ahead, concurrently
PREFETCH_BUDGET = 256 << 20  # at most this many bytes held ahead
STALE_AFTER = 24 * 3600.0  # incomplete multipart uploads older than this are aborted by gc
OPTIONS = {  # URL query option -> how it reaches s3fs
    "endpoint_url": "endpoint_url", "endpoint": "endpoint_url", "region": "region", "region_name": "region",
    "profile": "profile", "anon": "anon", "requester_pays": "requester_pays",
}


class S3Store(Store):
    """A result store under ``s3://bucket/prefix``; see docs/storage.md."""

    def __init__(self, bucket: str, prefix: str = "", *, options: dict[str, str] | None = None,
                 serializers: SerializerRegistry | None = None) -> None:
        check_name("bucket", bucket)
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.options = dict(options or {})
        unknown = sorted(set(self.options) - set(OPTIONS))
        if unknown:
            raise ValueError(f"unknown S3 storage option {unknown[0]!r}; known: {', '.join(sorted(OPTIONS))}")
        self.serializers = serializers or REGISTRY
        self._fs: _Reaching | None = None
        self._indexes: dict[str, _Listing] = {}
        self._lock = threading.Lock()
        self._ahead: dict[str, bytes] = {}  # object path -> its bytes, fetched by prefetch

    @classmethod
    def from_url(cls, url: str) -> S3Store:
        """``s3://bucket/prefix?option=value&...``"""
        rest = url[len("s3://"):] if url.startswith("s3://") else url
        rest, _, query = rest.partition("?")
        bucket, _, prefix = rest.partition("/")
        if not bucket:
            raise ValueError(f"the S3 storage URL {url!r} names no bucket: use s3://bucket/prefix")
        return cls(bucket, prefix, options=dict(parse_qsl(query, keep_blank_values=True)))

    @property
    def url(self) -> str:
        base = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        return base + ("?" + urlencode(sorted(self.options.items()), quote_via=quote) if self.options else "")

    def __getstate__(self) -> dict[str, Any]:
        own = None if self.serializers is REGISTRY else self.serializers
        return {"bucket": self.bucket, "prefix": self.prefix, "options": self.options, "serializers": own}

    def __setstate__(self, state: dict[str, Any]) -> None:
        S3Store.__init__(self, state["bucket"], state["prefix"], options=state["options"],
                         serializers=state["serializers"])

    @property
    def fs(self) -> _Reaching:
        """The s3fs filesystem, made on first use (s3fs is imported only then), its calls
        reporting missing credentials and an unreachable endpoint as StorageUnavailable."""
        if self._fs is None:
            with self._lock:
                if self._fs is None:
                    where = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
                    with _reaching(where):
                        self._fs = _Reaching(_filesystem(self.options), where)
        return self._fs

    def _root(self, workflow: str = "") -> str:
        return "/".join(p for p in (self.bucket, self.prefix, workflow) if p)

    def _object(self, workflow: str, node: str, key: str) -> str:
        check_name("workflow", workflow)
        check_name("node", node)
        check_name("key", key)
        return f"{self._root(workflow)}/{node}/{key}{SUFFIX}"

    # The hot path.

    def load(self, workflow: str, node: str, key: str) -> tuple[bool, Any]:
        path = self._object(workflow, node, key)
        if not self._listed(workflow, node, key):
            return False, None
        try:
            ahead = self._ahead.pop(path, None)
            if ahead is not None:
                data = bytearray(ahead)
            else:
                data = self._get(path, self._listing(workflow).objects.get(path, {}).get("size"))
        except FileNotFoundError:
            self._listing(workflow).objects.pop(path, None)
            return False, None
        entries, _ = pack.parse(data, 0, path)
        if len(entries) != 1 or entries[0].size != len(data) or entries[0].kind != pack.INLINE \
                or (entries[0].node, entries[0].key) != (node, key):
            self._discard(path)
            _warn(f"discarded the stored result of node {node!r} in workflow {workflow!r} ({self._s3(path)}): "
                  "not a whole fuseflow object; it will be recomputed")
            return False, None
        entry = entries[0]
        return self._decode(memoryview(data)[entry.offset : entry.offset + entry.length], path, workflow, node, key)

    def save(self, workflow: str, node: str, key: str, value: Any, meta: dict[str, Any] | None = None) -> None:
        path = self._object(workflow, node, key)
        serializer, buffers = self.serializers.dump(value)
        text = json.dumps(meta, separators=(",", ":"), default=repr).encode() if meta else b""
        header = encode_header(serializer.name, buffers, address(workflow, node, key))
        entry = pack.encode(pack.INLINE, node, key, text, [header, *buffers], time.time())
        size = sum(map(len, entry))
        if size <= SINGLE_PUT_MAX:
            self.fs.pipe_file(path, b"".join(entry))
        else:
            self._upload(path, entry)
        listing = self._indexes.get(workflow)
        if listing is not None:
            listing.objects[path] = {"size": size, "mtime": time.time()}

    def has(self, workflow: str, node: str, key: str) -> bool:
        self._object(workflow, node, key)
        return self._listed(workflow, node, key)

    def prefetch(self, workflow: str, items: list[tuple[str, str]]) -> None:
        """Fetch the small ones of these results concurrently (one request each, many in flight)."""
        listing = self._listing(workflow)
        paths, budget = [], PREFETCH_BUDGET
        for node, key in items:
            path = self._object(workflow, node, key)
            size = listing.objects.get(path, {}).get("size")
            if size is not None and size <= PREFETCH_MAX and size <= budget and path not in self._ahead:
                paths.append(path)
                budget -= size
        if len(paths) < 2:
            return
        fetched = self.fs.cat(paths, on_error="omit")
        self._ahead.update((path, data) for path, data in fetched.items() if isinstance(data, bytes))

    def _listed(self, workflow: str, node: str, key: str) -> bool:
        path = self._object(workflow, node, key)
        listing = self._listing(workflow)
        if path in listing.objects:
            return True
        if time.monotonic() - listing.refreshed > REFRESH_AFTER:
            self._refresh(listing)
        return path in listing.objects

    def _listing(self, workflow: str) -> _Listing:
        listing = self._indexes.get(workflow)
        if listing is None:
            listing = self._indexes[workflow] = _Listing(self._root(workflow))
            self._refresh(listing)
        return listing

    def _refresh(self, listing: _Listing) -> None:
        """One LIST of the workflow's prefix (1,000 objects per request) instead of a HEAD per node."""
        listing.refreshed = time.monotonic()
        try:
            found = self.fs.find(listing.root + "/", detail=True)
        except FileNotFoundError:
            found = {}
        listing.objects = {path: {"size": info.get("size", 0), "mtime": _mtime(info)}
                           for path, info in found.items() if path.endswith(SUFFIX)}
        folder = f"{listing.root}/{markers.DIRNAME}/"
        listing.markers = {path for path in found if path.startswith(folder) and "/" not in path[len(folder):]}

    def _get(self, path: str, size: int | None) -> bytearray:
        """The whole object in one writable buffer; large ones read part by part into it."""
        if size is None or size <= SINGLE_PUT_MAX:
            return bytearray(self.fs.cat_file(path))
        buf = bytearray(size)
        with self.fs.open(path, "rb", block_size=PART_SIZE, cache_type="none") as f:
            view, pos = memoryview(buf), 0
            while pos < size:
                chunk = f.read(min(PART_SIZE, size - pos))
                if not chunk:
                    break
                view[pos : pos + len(chunk)] = chunk
                pos += len(chunk)
        return buf if pos == size else buf[:pos]

    def _upload(self, path: str, buffers: builtins.list[Buffer]) -> None:
        """A multipart upload: S3 shows the object only once every part is in; abort on failure."""
        f = self.fs.open(path, "wb", block_size=PART_SIZE)
        try:
            for buf in buffers:
                view = memoryview(buf).cast("B") if isinstance(buf, memoryview) else buf
                for start in range(0, len(view), PART_SIZE):
                    f.write(view[start : start + PART_SIZE])
        except BaseException:
            f.discard()  # abort: no object appears
            raise
        f.close()

    def _decode(self, record: memoryview, path: str, workflow: str, node: str, key: str) -> tuple[bool, Any]:
        try:
            name, payload = decode(record, address(workflow, node, key))
            return True, self.serializers.get(name).load(payload)
        except CorruptRecord as exc:
            self._discard(path)
            _warn(f"discarded the stored result of node {node!r} in workflow {workflow!r} ({self._s3(path)}): {exc}; "
                  "it will be recomputed")
        except Exception as exc:
            reason = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            _warn(f"could not load the stored result of node {node!r} in workflow {workflow!r} ({self._s3(path)}): "
                  f"{reason}; it will be recomputed")
        return False, None

    def _discard(self, path: str) -> None:
        try:
            self.fs.rm_file(path)
        except FileNotFoundError:
            pass
        for listing in self._indexes.values():
            listing.objects.pop(path, None)

    def _s3(self, path: str) -> str:
        return "s3://" + path

    # Inspection and pruning.

    def workflows(self) -> builtins.list[str]:
        try:
            entries = self.fs.ls(self._root() + "/", detail=True, refresh=True)
        except FileNotFoundError:
            return []
        return sorted(e["name"].rstrip("/").rsplit("/", 1)[-1] for e in entries if e.get("type") == "directory")

    def list(self, workflow: str, pattern: str = "*") -> builtins.list[StoredResult]:
        check_name("workflow", workflow)
        listing = self._listing(workflow)
        self._refresh(listing)
        rows = []
        for path, info in listing.objects.items():
            node, key = self._split(listing.root, path)
            if node is not None and (node == pattern or fnmatch.fnmatchcase(node, pattern)):
                rows.append((path, node, key, info))
        names = self._serializers([path for path, *_ in rows])
        results = [StoredResult(workflow, node, key, info["size"], info["mtime"], name)
                   for (path, node, key, info), name in zip(rows, names, strict=True)]
        return sorted(results, key=lambda r: (r.node, r.mtime, r.key))

    def _split(self, root: str, path: str) -> tuple[str | None, str]:
        rest = path[len(root) + 1 :]
        node, _, name = rest.partition("/")
        if not name or "/" in name or node.startswith("."):
            return None, ""
        return node, name[: -len(SUFFIX)]

    def _serializers(self, paths: builtins.list[str]) -> builtins.list[str]:
        """Serializer names from the first bytes of each object, fetched concurrently."""
        if not paths:
            return []
        heads = self.fs.cat_ranges(paths, [0] * len(paths), [4096] * len(paths), on_error="return")
        out = []
        for head in heads:
            if isinstance(head, Exception):
                out.append("?")
                continue
            start = _record_start(bytes(head))
            out.append(peek_serializer(head[start : start + PEEK_SIZE]) if start else "?")
        return out

    def meta(self, workflow: str, node: str, key: str) -> dict[str, Any] | None:
        path = self._object(workflow, node, key)
        try:
            head = self.fs.cat_file(path, start=0, end=1 << 16)
        except FileNotFoundError:
            return None
        return _meta_dict(_meta_of(bytes(head)))

    def metas(self, workflow: str, items: builtins.list[tuple[str, str]]) -> builtins.list[dict[str, Any] | None]:
        """The metas of many results: their first bytes, fetched concurrently."""
        paths = [self._object(workflow, node, key) for node, key in items]
        if len(paths) < 2:
            return [self.meta(workflow, node, key) for node, key in items]
        heads = self.fs.cat_ranges(paths, [0] * len(paths), [1 << 16] * len(paths), on_error="return")
        return [None if isinstance(head, Exception) else _meta_dict(_meta_of(bytes(head))) for head in heads]

    def sources(self, workflow: str) -> set[Source]:
        """From the workflow's listing (one LIST, shared with the run's look-ups), then one GET each."""
        check_name("workflow", workflow)
        listing = self._listing(workflow)
        if time.monotonic() - listing.refreshed > REFRESH_AFTER:
            self._refresh(listing)
        if not listing.markers:
            return set()
        paths = sorted(listing.markers)
        found = self.fs.cat_ranges(paths, [0] * len(paths), [markers.MAX_SIZE + 1] * len(paths), on_error="return")
        sources = (markers.decode(bytes(data)) for data in found if not isinstance(data, Exception))
        return {source for source in sources if source is not None}

    def add_source(self, workflow: str, source: Source) -> None:
        """One PUT of the marker (the same bytes whoever writes it, so a race is harmless)."""
        check_name("workflow", workflow)
        path = f"{self._root(workflow)}/{markers.DIRNAME}/{markers.name(source)}"
        listing = self._indexes.get(workflow)
        if listing is not None and path in listing.markers:
            return
        self.fs.pipe_file(path, markers.encode(source))
        if listing is not None:
            listing.markers.add(path)

    def remove_source(self, workflow: str, source: Source) -> None:
        check_name("workflow", workflow)
        self._discard_marker(workflow, f"{self._root(workflow)}/{markers.DIRNAME}/{markers.name(source)}")

    def _discard_marker(self, workflow: str, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(path)
        listing = self._indexes.get(workflow)
        if listing is not None:
            listing.markers.discard(path)

    def read(self, workflow: str, node: str, key: str | None = None) -> Any:
        if key is None:
            results = [r for r in self.list(workflow, node) if r.node == node]
            if not results:
                raise MissingResult(self._why_missing(workflow, node))
            key = results[-1].key
        found, value = self.load(workflow, node, key)
        if not found:
            raise MissingResult(f"node {node!r} of workflow {workflow!r} has no loadable result with key {key!r}")
        return value

    def _why_missing(self, workflow: str, node: str) -> str:
        workflows = self.workflows()
        if workflow not in workflows:
            return f"no workflow {workflow!r} in {self.url}" + hint(workflow, workflows, "stored workflows")
        nodes = self.list_tasks(workflow)
        return f"no stored result of node {node!r} in workflow {workflow!r}" + hint(node, nodes, "nodes with results")

    def remove(self, workflow: str, pattern: str) -> int:
        paths = [self._object(workflow, r.node, r.key) for r in self.list(workflow, pattern)]
        if paths:
            self.fs.rm(paths)
            for path in paths:
                self._listing(workflow).objects.pop(path, None)
        listing = self._listing(workflow)
        if not listing.objects:  # nothing left: no file has results here any more
            for marker in sorted(listing.markers):
                self._discard_marker(workflow, marker)
        return len(paths)

    def _remove_workflow(self, workflow: str) -> bool:
        check_name("workflow", workflow)
        if workflow not in self.workflows():
            return False
        self.fs.rm(self._root(workflow), recursive=True)
        self._indexes.pop(workflow, None)
        return True

    def garbage(self, keep: Callable[[str, str, str], bool] | None = None, max_age: float = STALE_AFTER,
                workflows: builtins.list[str] | None = None) -> builtins.list[Garbage]:
        out = []
        for upload in self._uploads():
            initiated = upload.get("Initiated")
            if initiated is not None and initiated.timestamp() <= time.time() - max_age:
                out.append(Garbage("temp", "", "", upload["Key"], 0, upload["UploadId"]))
        if keep is not None:
            for workflow in self.workflows() if workflows is None else workflows:
                out.extend(Garbage("unreferenced", workflow, r.node, r.key, r.size)
                           for r in self.list(workflow) if not keep(workflow, r.node, r.key))
        return out

    def _uploads(self) -> builtins.list[dict[str, Any]]:
        """Incomplete multipart uploads under the prefix (left by killed writers)."""
        prefix = self.prefix + "/" if self.prefix else ""
        try:
            reply = self.fs.call_s3("list_multipart_uploads", Bucket=self.bucket, Prefix=prefix)
        except Exception:  # not supported by every S3-compatible service
            return []
        return list(reply.get("Uploads", []))

    def gc(self, max_age: float = STALE_AFTER, keep: Callable[[str, str, str], bool] | None = None,
           dry_run: bool = False, workflows: builtins.list[str] | None = None) -> int:
        items = self.garbage(keep, max_age, workflows)
        if not dry_run:
            self.remove_garbage(items)
        return len(items)

    def remove_garbage(self, items: builtins.list[Garbage]) -> None:
        for item in items:
            if item.kind == "temp":
                self.fs.call_s3("abort_multipart_upload", Bucket=self.bucket, Key=item.key, UploadId=item.path)
            else:
                self._discard(self._object(item.workflow, item.node, item.key))


class _Listing:
    """The objects under one workflow's prefix, as last listed (plus this process's saves)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.objects: dict[str, dict[str, Any]] = {}
        self.markers: set[str] = set()  # the workflow's source markers (markers.py)
        self.refreshed = 0.0


def _filesystem(options: dict[str, str]) -> s3fs.S3FileSystem:
    with optional("s3fs", "S3 storage"):
        import s3fs  # optional backend: only with the s3 extra, for an s3:// store
    # skip_instance_cache: fsspec would hand back the filesystem made for the same arguments
    # earlier in the process, with the endpoint and credentials the environment had then
    # (AWS_ENDPOINT_URL changed since: every request went to the old endpoint).
    kwargs: dict[str, Any] = {"use_listings_cache": False, "skip_instance_cache": True}
    client: dict[str, Any] = {}
    for name, value in options.items():
        target = OPTIONS[name]
        if target == "endpoint_url":
            kwargs["endpoint_url"] = value
        elif target == "region":
            client["region_name"] = value
        elif target == "profile":
            kwargs["profile"] = value
        else:
            kwargs[target] = value.lower() in ("1", "true", "yes", "on")
    if client:
        kwargs["client_kwargs"] = client
    return s3fs.S3FileSystem(**kwargs)


class _Reaching:
    """An s3fs filesystem whose calls say in one line why S3 cannot be reached (``_reaching``).

    Every request to S3 goes through a call of it: this is where the storage
    layer first talks to S3, whichever command or target asked.
    """

    def __init__(self, fs: Any, url: str) -> None:
        self._fs, self._url = fs, url

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._fs, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            with _reaching(self._url):
                return attr(*args, **kwargs)

        return call


@contextlib.contextmanager
def _reaching(url: str) -> Iterator[None]:
    """Missing credentials and an endpoint that does not answer as StorageUnavailable naming ``url``."""
    try:
        yield
    except Exception as exc:
        problem = _unreachable(exc, url)
        if problem is None:
            raise
        raise problem from exc


def _unreachable(exc: Exception, url: str) -> StorageUnavailable | None:
    try:
        from botocore import exceptions as boto  # optional: comes with s3fs (the s3 extra)
    except ImportError:
        return None
    if isinstance(exc, (boto.NoCredentialsError, boto.PartialCredentialsError, boto.ProfileNotFound)):
        return StorageUnavailable(f"S3 storage {url}: no usable AWS credentials ({exc}): set AWS_ACCESS_KEY_ID "
                                  "and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or ~/.aws/credentials")
    if isinstance(exc, boto.ConnectionError):
        request = urlsplit(str(exc.kwargs.get("endpoint_url", "")))
        endpoint = f"{request.scheme}://{request.netloc}" if request.netloc else "the S3 endpoint"
        return StorageUnavailable(f"S3 storage {url}: the endpoint {endpoint} is not reachable: check that it "
                                  "runs, and endpoint_url in the storage URL or AWS_ENDPOINT_URL")
    return None


def _mtime(info: dict[str, Any]) -> float:
    modified = info.get("LastModified")  # a datetime, when the service gives one
    return modified.timestamp() if modified is not None and hasattr(modified, "timestamp") else 0.0


def _record_start(head: bytes) -> int:
    """Where the record starts inside a one-entry pack object, from its first bytes (0 if unknown)."""
    fixed = pack._PREFIX.size
    if len(head) < fixed or head[:4] != pack.MAGIC:
        return 0
    _, _, nlen, klen, mlen, _, _ = pack._PREFIX.unpack_from(head)
    return aligned(fixed + nlen + klen + mlen + 4)


def _meta_of(head: bytes) -> bytes | None:
    fixed = pack._PREFIX.size
    if len(head) < fixed or head[:4] != pack.MAGIC:
        return None
    _, _, nlen, klen, mlen, _, _ = pack._PREFIX.unpack_from(head)
    if len(head) < fixed + nlen + klen + mlen:
        return None
    return head[fixed + nlen + klen : fixed + nlen + klen + mlen]


def _meta_dict(meta: bytes | None) -> dict[str, Any] | None:
    try:
        found = json.loads(meta) if meta else None
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _warn(message: str) -> None:
    warnings.warn(message, StorageWarning, stacklevel=4)
