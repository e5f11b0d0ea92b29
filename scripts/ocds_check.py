#!/usr/bin/env python3
"""Check OCDS 1.1 release and record packages with the OCDS Data Review Tool's library, offline.

    python3 scripts/ocds_check.py --shared ../shared/ocds [--compile] [--expect-dates] FILE...

Each FILE is a release package or a record package (JSON). For each one, libcoveocds (the
library behind the OCDS Data Review Tool) validates it against the 1.1 package schema with
the release schema patched by the extensions the package declares, and this script reports
as failures: schema validation errors, additional fields, values outside closed codelists,
extensions that could not be loaded (or whose codelists could not), the json_deref_error
libcoveocds gives when the patched schema has a `$ref` to nowhere, and OCID conformance
errors. Open-codelist values, deprecated fields and libcoveocds' additional checks are
printed as warnings only.

libcoveocds applies no package-level extension, so a top-level `links` (the pagination
extension) is not counted as an additional field when the package declares the pagination
extension; it is validated here against that extension's package schema instead.

--compile: ocdskit merges the releases of every release package given into one compiled
release per ocid (as `ocdskit compile`), and each record package's records' `compiledRelease`
must equal ocdskit's for its ocid, the top-level `id` excepted; differences are JSON paths.

--expect-dates: every contract's `dateSigned` is not before its award's `date`, and the
releases of one ocid have strictly increasing `date` (in the order given: pass feed pages
in order).

Nothing is fetched from the network. Every HTTP(S) request the libraries make (extension
metadata, patches, codelists and the GitHub archives ocdsextensionregistry downloads them
as; the standard's ZIP, schemas and codelists; ocdsmerge's list of versions) is answered
from the local copy in --shared (see its README.md). A URL with no local copy is a failure
that names it, and so is any attempt to open a network socket.

Needs Python >= 3.11 and, from PyPI:  pip install 'libcoveocds==0.17.0' 'ocdskit==1.7.0'
(no extra is needed: libcoveocds runs in its "api" context, which needs neither [web] nor
[perf]; ocdskit brings ocdsmerge and ocdsextensionregistry).

Prints one summary per file and a last line `ocds: N passed, N failed`; exits 1 when any
file failed, 2 on bad usage or missing libraries.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import sys
import urllib.request
import urllib.response
import zipfile
from datetime import datetime
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit

# The standard's tag that --shared holds (1.1/ is OCDS 1.1.5, see its README.md).
STANDARD_TAG = "1__1__5"

# GitHub repository (owner, name) of each extension -> its folder under extensions/.
EXTENSION_REPOS = {
    ("open-contracting-extensions", "ocds_lots_extension"): "lots",
    ("open-contracting-extensions", "ocds_bid_extension"): "bids",
    ("open-contracting-extensions", "ocds_techniques_extension"): "techniques",
    ("open-contracting-extensions", "ocds_submissionTerms_extension"): "submissionTerms",
    ("open-contracting-extensions", "ocds_pagination_extension"): "pagination",
    ("open-contracting-extensions", "ocds_enquiry_extension"): "enquiry",
    ("open-contracting-extensions", "ocds_partyDetails_scale_extension"): "partyDetails_scale",
    ("openprocurement", "ocds_auction_extension"): "auction",
    ("openprocurement", "ocds_complaint_extension"): "complaint",
}
# Only `master` is copied (see the README): another ref (v1.1.5...) has no local copy.
EXTENSION_REF = "master"
PAGINATION_REPO = "ocds_pagination_extension"
PACKAGE_SCHEMAS = ("release-package-schema.json", "record-package-schema.json", "release-schema.json")

INSTALL = "pip install 'libcoveocds==0.17.0' 'ocdskit==1.7.0'"


# --------------------------------------------------------------------------------------------
# Offline: every request is answered from --shared, or is a failure naming its URL.
# --------------------------------------------------------------------------------------------


class NoLocalCopy(Exception):
    """A library asked for a URL that has no local copy (or tried to open a socket).

    Deliberately not a requests.RequestException: the libraries turn those into soft
    messages ("fetching failed"), while this propagates. Every one is also recorded in
    Offline.misses, in case a library swallows it anyway.
    """


class NotFound(Exception):
    """A file that the upstream repository does not have either: answered as HTTP 404."""


class Offline:
    def __init__(self, shared: Path):
        self.shared = shared
        self.misses: list[str] = []  # URLs with no local copy, and socket attempts
        self.served: list[str] = []  # URLs answered from the local copy
        self._zips: dict[str, bytes] = {}

    # -- the mapping ---------------------------------------------------------------------

    def _file(self, path: Path) -> bytes:
        if path.is_file():
            return path.read_bytes()
        raise FileNotFoundError(path)

    def _extension_dir(self, owner: str, repo: str) -> Path | None:
        folder = EXTENSION_REPOS.get((owner, repo))
        if folder is None:
            # Accept a differently-cased owner/repo as GitHub does.
            for (o, r), f in EXTENSION_REPOS.items():
                if o.lower() == owner.lower() and r.lower() == repo.lower():
                    folder = f
        return None if folder is None else self.shared / "extensions" / folder

    @staticmethod
    def _zip_of(root: Path, top: str, sub: str = "") -> bytes:
        """A ZIP laid out as GitHub's archives are: `top/` then every file below `root`."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{top}/", b"")
            prefix = f"{top}/{sub}" if sub else f"{top}/"
            if sub:
                archive.writestr(prefix, b"")
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames.sort()
                rel = Path(dirpath).relative_to(root)
                if str(rel) != ".":
                    archive.writestr(f"{prefix}{rel.as_posix()}/", b"")
                for name in sorted(filenames):
                    arcname = f"{prefix}{name}" if str(rel) == "." else f"{prefix}{rel.as_posix()}/{name}"
                    archive.write(os.path.join(dirpath, name), arcname)
        return buffer.getvalue()

    def _cached_zip(self, key: str, build) -> bytes:
        if key not in self._zips:
            self._zips[key] = build()
        return self._zips[key]

    def _standard_zip(self) -> bytes:
        return self._cached_zip(
            "standard", lambda: self._zip_of(self.shared / "1.1", f"standard-{STANDARD_TAG}", "schema/")
        )

    def _extension_zip(self, owner: str, repo: str, ref: str) -> bytes:
        directory = self._extension_dir(owner, repo)
        if directory is None or ref != EXTENSION_REF or not directory.is_dir():
            raise FileNotFoundError
        return self._cached_zip(f"{owner}/{repo}", lambda: self._zip_of(directory, f"{repo}-{ref}"))

    def _extension_file(self, owner: str, repo: str, ref: str, rel: str) -> bytes:
        directory = self._extension_dir(owner, repo)
        if directory is None or ref != EXTENSION_REF or not directory.is_dir() or ".." in rel.split("/"):
            raise FileNotFoundError
        path = directory / rel
        if path.is_file():
            return path.read_bytes()
        if rel in PACKAGE_SCHEMAS:
            # Upstream has it only when extension.json lists it (pagination has no release schema).
            schemas = json.loads((directory / "extension.json").read_text(encoding="utf-8")).get("schemas", [])
            if rel not in schemas:
                raise NotFound(rel)
        raise FileNotFoundError(path)

    def _version_index(self) -> bytes:
        # ocdsmerge.util.get_tags() reads the tags from the index page of
        # standard.open-contracting.org/schema/. Offline, the versions are those in --shared.
        tags = [STANDARD_TAG] if (self.shared / "1.1" / "release-schema.json").is_file() else []
        return "".join(f'<a href="{tag}/">{tag}/</a>\n' for tag in tags).encode()

    def local(self, url: str) -> bytes:
        """The bytes of `url` from --shared. Raises NotFound (a 404) or NoLocalCopy."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        path = parts.path
        segments = [s for s in path.split("/") if s]
        try:
            if parts.scheme not in ("http", "https") or parts.query or parts.fragment:
                raise FileNotFoundError
            if host == "standard.open-contracting.org":
                if segments == ["schema"]:
                    return self._version_index()
                if segments[:2] == ["schema", STANDARD_TAG] and len(segments) > 2 and ".." not in segments:
                    return self._file(self.shared / "1.1" / "/".join(segments[2:]))
            elif host == "raw.githubusercontent.com" and len(segments) >= 4:
                owner, repo, ref, *rest = segments
                if (owner, repo) == ("open-contracting", "standard"):
                    if ref == STANDARD_TAG and rest[:1] == ["schema"] and ".." not in rest:
                        return self._file(self.shared / "1.1" / "/".join(rest[1:]))
                else:
                    return self._extension_file(owner, repo, ref, "/".join(rest))
            elif host == "codeload.github.com" and len(segments) >= 4 and segments[2] == "zip":
                owner, repo, _, *ref = segments
                ref = "/".join(ref).removeprefix("refs/heads/").removeprefix("refs/tags/")
                if (owner, repo) == ("open-contracting", "standard"):
                    if ref == STANDARD_TAG:
                        return self._standard_zip()
                else:
                    return self._extension_zip(owner, repo, ref)
            elif host == "github.com" and len(segments) >= 4 and segments[2] == "archive":
                owner, repo, _, *ref = segments
                ref = "/".join(ref)
                if ref.endswith(".zip"):
                    ref = ref[:-4].removeprefix("refs/heads/").removeprefix("refs/tags/")
                    if (owner, repo) == ("open-contracting", "standard"):
                        if ref == STANDARD_TAG:
                            return self._standard_zip()
                    else:
                        return self._extension_zip(owner, repo, ref)
        except FileNotFoundError:
            pass
        self.misses.append(url)
        raise NoLocalCopy(f"no local copy of {url} in {self.shared}: nobody could validate it offline")

    # -- the patches ---------------------------------------------------------------------

    def install(self) -> None:
        self._guard_sockets()
        self._patch_urllib()
        try:
            import requests  # noqa: F401
        except ImportError:
            return
        self._patch_requests()

    def _guard_sockets(self) -> None:
        offline = self

        def refuse(what):
            offline.misses.append(f"network access attempted: {what}")
            raise NoLocalCopy(f"network access attempted ({what}); this checker runs offline")

        real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

        def connect(sock, address):
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                refuse(f"connect {address!r}")
            return real_connect(sock, address)

        def connect_ex(sock, address):
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                refuse(f"connect {address!r}")
            return real_connect_ex(sock, address)

        socket.socket.connect = connect
        socket.socket.connect_ex = connect_ex
        socket.create_connection = lambda address, *a, **k: refuse(f"create_connection {address!r}")
        socket.getaddrinfo = lambda host, port, *a, **k: refuse(f"getaddrinfo {host!r}:{port!r}")

    def _patch_urllib(self) -> None:
        offline = self
        real_open = urllib.request.OpenerDirector.open

        def open_(director, fullurl, data=None, timeout=socket._GLOBAL_DEFAULT_TIMEOUT):
            url = fullurl.full_url if isinstance(fullurl, urllib.request.Request) else fullurl
            if urlsplit(url).scheme not in ("http", "https", "ftp"):
                return real_open(director, fullurl, data, timeout)
            headers = Message()
            try:
                body = offline.local(url)
            except NotFound:
                raise urllib.error.HTTPError(url, 404, "Not Found", headers, io.BytesIO(b"")) from None
            offline.served.append(url)
            return urllib.response.addinfourl(io.BytesIO(body), headers, url, 200)

        urllib.request.OpenerDirector.open = open_

    def _patch_requests(self) -> None:
        import requests.adapters
        from urllib3.response import HTTPResponse

        offline = self

        def send(adapter, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
            try:
                body, status, reason = offline.local(request.url), 200, "OK"
                offline.served.append(request.url)
            except NotFound:
                body, status, reason = b"404: Not Found", 404, "Not Found"
            content_type = "application/zip" if body[:2] == b"PK" else "text/plain; charset=utf-8"
            raw = HTTPResponse(
                body=io.BytesIO(body),
                headers={"Content-Type": content_type, "Content-Length": str(len(body))},
                status=status,
                reason=reason,
                preload_content=False,
                decode_content=False,
                request_url=request.url,
            )
            return adapter.build_response(request, raw)

        requests.adapters.HTTPAdapter.send = send


# --------------------------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------------------------


class Report:
    def __init__(self, path: str):
        self.path = path
        self.kind = "?"
        self.info: list[str] = []
        self.failures: list[str] = []
        self.warnings: list[str] = []

    def fail(self, message: str) -> None:
        self.failures.append(message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def print(self, out, max_lines: int) -> None:
        status = "FAILED" if self.failures else "passed"
        print(f"== {self.path} ({self.kind}): {status}", file=out)
        for line in self.info:
            print(f"   {line}", file=out)
        for label, lines in (("FAIL", self.failures), ("warn", self.warnings)):
            shown = lines if max_lines <= 0 else lines[:max_lines]
            for line in shown:
                print(f"   {label} {line}", file=out)
            if len(lines) > len(shown):
                print(f"   {label} ... and {len(lines) - len(shown)} more (--max-lines 0 shows all)", file=out)


def short(value, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def extension_repo(url: str) -> str | None:
    """The repository name of a declared extension URL (raw.githubusercontent.com/<owner>/<repo>/...)."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if parts.hostname in ("raw.githubusercontent.com", "github.com", "codeload.github.com") and len(segments) >= 2:
        return segments[1]
    return None


def declares_pagination(data: dict) -> str | None:
    for url in data.get("extensions") or []:
        if isinstance(url, str) and (extension_repo(url) or "").lower() == PAGINATION_REPO.lower():
            return url
    return None


# --------------------------------------------------------------------------------------------
# libcoveocds
# --------------------------------------------------------------------------------------------


def check_with_libcoveocds(report: Report, data: dict, offline: Offline, tmpdir: str) -> None:
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig

    config = LibCoveOCDSConfig()
    config.config["context"] = "api"
    # The standard as a ZIP of the local 1.1/ (ocdsextensionregistry would download the
    # tag's ZIP from GitHub otherwise; that URL is also answered locally).
    config.config["standard_zip"] = offline.local(
        f"https://codeload.github.com/open-contracting/standard/zip/{STANDARD_TAG}"
    )
    is_record = "records" in data
    misses_before = len(offline.misses)
    try:
        context = ocds_json_output(
            tmpdir, json_data=data, lib_cove_ocds_config=config, record_pkg=is_record
        )
    except NoLocalCopy as e:
        report.fail(f"libcoveocds: {e}")
        return
    except Exception as e:  # a crash of the library is a failure of the file, with its cause
        report.fail(f"libcoveocds raised {type(e).__name__}: {short(str(e), 300)}")
        return
    for url in dict.fromkeys(offline.misses[misses_before:]):
        report.fail(f"libcoveocds: no local copy of {url}")

    deref_error = context.get("json_deref_error")
    if deref_error:
        report.fail(f"json_deref_error: {deref_error}")

    extensions = context.get("extensions") or {}
    for url, message in extensions.get("invalid_extensions", []):
        report.fail(f"extension not loaded: {url}: {message}")
    for extension in extensions.get("extensions", []):
        for codelist, message in (extension.get("failed_codelists") or {}).items():
            report.fail(f"extension codelist not loaded: {extension.get('url')}: {codelist}: {message}")
    if extensions.get("extensions"):
        names = [extension_repo(e.get("url", "")) or e.get("url") for e in extensions["extensions"]]
        report.info.append("extensions applied: " + ", ".join(names))

    for error in context.get("validation_errors", []):
        value = error.get("value")
        shown = f" (value {short(value)})" if value not in ("", None) else ""
        report.fail(f"validation: /{error.get('path', '')}: {error.get('description')}{shown}")

    prefix = ""
    if deref_error:
        # libcoveocds then takes the patched release schema as {}, so that every release field
        # looks additional and no codelist is known. Check the fields and codelists once more
        # with the schema whose dangling `$ref`s are taken as {} (and say so), so that one run
        # shows every problem, not only the first.
        lenient = lenient_context(data, config, is_record, tmpdir)
        if lenient is not None:
            dangling, lenient_context_ = lenient
            prefix = f"(with {', '.join(dangling)} taken as {{}}) "
            for error in lenient_context_.get("validation_errors", []):
                value = error.get("value")
                shown = f" (value {short(value)})" if value not in ("", None) else ""
                report.fail(f"{prefix}validation: /{error.get('path', '')}: {error.get('description')}{shown}")
            context = {**context, **{k: lenient_context_.get(k) for k in (
                "additional_fields", "additional_closed_codelist_values", "additional_open_codelist_values")}}
        else:
            report.warn("additional fields and codelist values not checked: the patched schema could not be dereferenced")
            context = {**context, "additional_fields": [], "additional_closed_codelist_values": {},
                       "additional_open_codelist_values": {}}

    pagination = declares_pagination(data)
    for field in context.get("additional_fields") or []:
        if pagination and field.get("path") == "" and field.get("field") == "links":
            continue
        path = "/".join(p.strip("/") for p in (field.get("path"), field.get("field")) if p and p.strip("/"))
        report.fail(f"{prefix}additional field: /{path} ({field.get('usage_count')}x)")

    for path, info in sorted((context.get("additional_closed_codelist_values") or {}).items()):
        report.fail(
            f"{prefix}closed codelist {info.get('codelist')}: /{path}: "
            f"values not in it: {', '.join(map(str, info.get('values', [])))}"
        )
    for path, info in sorted((context.get("additional_open_codelist_values") or {}).items()):
        report.warn(
            f"{prefix}open codelist {info.get('codelist')}: /{path}: "
            f"values not in it: {', '.join(map(str, info.get('values', [])))}"
        )

    for kind, errors in (context.get("conformance_errors") or {}).items():
        report.fail(f"conformance {kind}: {short(errors, 200)}")
    for field in context.get("deprecated_fields", []):
        report.warn(f"deprecated field: {field.get('field')}: {short(field, 160)}")
    for check, results in (context.get("additional_checks") or {}).items():
        for result in results if isinstance(results, list) else [results]:
            report.warn(f"additional check {check}: {short(result, 160)}")


def drop_dangling_refs(schema: dict) -> list[str]:
    """Remove every local `$ref` that points nowhere in `schema` (in place); return them."""
    dangling = []

    def resolves(pointer: str) -> bool:
        node = schema
        for token in pointer.lstrip("/").split("/") if pointer not in ("", "/") else []:
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                return False
        return True

    def walk(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#") and not resolves(ref[1:]):
                dangling.append(ref)
                del node["$ref"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return sorted(set(dangling))


def lenient_context(data: dict, config, is_record: bool, tmpdir: str):
    """libcoveocds' checks with the patched schema's dangling `$ref`s taken as {}; None if that fails too."""
    import copy
    import functools

    from libcoveocds.common_checks import common_checks_ocds
    from libcoveocds.lib.api import context_api_transform
    from libcoveocds.schema import SchemaOCDS

    class LenientSchemaOCDS(SchemaOCDS):
        dangling: list[str] = []

        @functools.lru_cache  # noqa: B019
        def get_schema_obj(self, *, deref=False, proxies=False):
            import jsonref

            schema = copy.deepcopy(super().get_schema_obj())
            LenientSchemaOCDS.dangling = drop_dangling_refs(schema)
            if deref:
                schema = jsonref.replace_refs(schema, **self._jsonref_kwarg(proxies=proxies))
            return schema

    try:
        schema_obj = LenientSchemaOCDS(None, data, config, record_pkg=is_record)
        context = context_api_transform(
            common_checks_ocds({"file_type": "json"}, tmpdir, data, schema_obj, cache=False)
        )
    except Exception:
        return None
    if schema_obj.json_deref_error or not LenientSchemaOCDS.dangling:
        return None
    return LenientSchemaOCDS.dangling, context


def check_links(report: Report, data: dict, offline: Offline) -> None:
    """Validate a top-level `links` against the declared pagination extension's package schema."""
    url = declares_pagination(data)
    if "links" not in data or not url:
        return
    import jsonschema

    basename = "record-package-schema.json" if "records" in data else "release-package-schema.json"
    base = url[: -len("extension.json")] if url.endswith("extension.json") else url.rstrip("/") + "/"
    try:
        patch = json.loads(offline.local(base + basename))
    except (NoLocalCopy, NotFound) as e:
        report.fail(f"pagination: {basename} of {url}: {e}")
        return
    schema = {"type": "object", "properties": {"links": patch["properties"]["links"]}}
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    for error in validator.iter_errors({"links": data["links"]}):
        path = "/".join(str(p) for p in error.absolute_path)
        report.fail(f"validation (pagination extension): /{path}: {error.message}")


# --------------------------------------------------------------------------------------------
# ocdskit compile
# --------------------------------------------------------------------------------------------


def diff(a, b, path: str = "") -> list[str]:
    """JSON paths where `a` (the record's) and `b` (ocdskit's) differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in list(a) + [k for k in b if k not in a]:
            p = f"{path}/{key}"
            if key not in b:
                out.append(f"{p}: only in the record ({short(a[key])})")
            elif key not in a:
                out.append(f"{p}: only in ocdskit's compiled release ({short(b[key])})")
            else:
                out.extend(diff(a[key], b[key], p))
        return out
    if isinstance(a, list) and isinstance(b, list):
        out = []
        for i in range(max(len(a), len(b))):
            p = f"{path}/{i}"
            if i >= len(b):
                out.append(f"{p}: only in the record ({short(a[i])})")
            elif i >= len(a):
                out.append(f"{p}: only in ocdskit's compiled release ({short(b[i])})")
            else:
                out.extend(diff(a[i], b[i], p))
        return out
    numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))
    if (type(a) is type(b) or numbers) and a == b:
        return []
    return [f"{path or '/'}: record {short(a)} != ocdskit {short(b)}"]


def compile_releases(packages: list[dict]):
    """ocdskit's compiled releases by ocid, or raises."""
    from ocdskit.combine import merge

    compiled = {}
    for release in merge(packages):
        compiled[release.get("ocid")] = release
    return compiled


# --------------------------------------------------------------------------------------------
# --expect-dates
# --------------------------------------------------------------------------------------------


def parse_date(value):
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def check_contract_dates(report: Report, where: str, release: dict, awards_by_ocid: dict) -> None:
    ocid = release.get("ocid")
    awards = dict(awards_by_ocid.get(ocid, {}))
    for award in release.get("awards") or []:
        if isinstance(award, dict) and "id" in award:
            awards[award["id"]] = award
    for i, contract in enumerate(release.get("contracts") or []):
        if not isinstance(contract, dict) or "dateSigned" not in contract:
            continue
        signed = parse_date(contract["dateSigned"])
        path = f"{where}/contracts/{i}"
        award = awards.get(contract.get("awardID"))
        if signed is None:
            report.fail(f"dates: {path}/dateSigned is not a date-time with offset: {short(contract['dateSigned'])}")
        elif award is None:
            report.fail(f"dates: {path}: its award {short(contract.get('awardID'))} is not in the data")
        elif parse_date(award.get("date")) is None:
            report.fail(f"dates: {path}: its award {short(award.get('id'))} has no valid date: {short(award.get('date'))}")
        elif signed < parse_date(award["date"]):
            report.fail(
                f"dates: {path}/dateSigned {contract['dateSigned']} is before its award's date {award['date']}"
            )


def check_release_order(report: Report, where: str, releases, last_by_ocid: dict) -> None:
    for i, release in enumerate(releases):
        if not isinstance(release, dict):
            continue
        ocid, date = release.get("ocid"), parse_date(release.get("date"))
        if date is None:
            report.fail(f"dates: {where}/{i}/date is not a date-time with offset: {short(release.get('date'))}")
            continue
        if ocid in last_by_ocid and not date > last_by_ocid[ocid][0]:
            previous_date, previous_where = last_by_ocid[ocid]
            report.fail(
                f"dates: {where}/{i} ({ocid}) date {release.get('date')} is not after the previous release's "
                f"({previous_where}, {previous_date.isoformat()})"
            )
        last_by_ocid[ocid] = (date, f"{where}/{i}")


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    default_shared = Path(__file__).resolve().parents[2] / "shared" / "ocds"
    parser = argparse.ArgumentParser(
        description="Check OCDS 1.1 release and record packages with libcoveocds and ocdskit, offline."
    )
    parser.add_argument("--shared", default=str(default_shared), help=f"the offline OCDS copy (default {default_shared})")
    parser.add_argument("--compile", action="store_true", help="compare record packages with ocdskit's compile of the release packages")
    parser.add_argument("--expect-dates", action="store_true", help="contracts signed after their awards; release dates increase per ocid")
    parser.add_argument("--max-lines", type=int, default=25, help="lines shown per file and kind (0: all)")
    parser.add_argument("files", nargs="+", metavar="FILE")
    args = parser.parse_args(argv)

    shared = Path(args.shared)
    if not (shared / "1.1" / "release-schema.json").is_file() or not (shared / "extensions").is_dir():
        print(f"ocds_check: {shared} has no 1.1/release-schema.json or extensions/ (see --shared)", file=sys.stderr)
        return 2

    # Before any library is imported, so that nothing can reach the network.
    offline = Offline(shared)
    offline.install()
    try:
        import libcoveocds  # noqa: F401
        import ocdskit  # noqa: F401
    except ImportError as e:
        print(f"ocds_check: {e}; install with: {INSTALL}", file=sys.stderr)
        return 2

    import tempfile

    reports: list[Report] = []
    packages: list[tuple[Report, dict]] = []
    records: list[tuple[Report, dict]] = []
    awards_by_ocid: dict = {}
    last_by_ocid: dict = {}

    with tempfile.TemporaryDirectory(prefix="ocds-check-") as tmpdir:
        for name in args.files:
            report = Report(name)
            reports.append(report)
            try:
                with open(name, "rb") as f:
                    data = json.loads(f.read())
            except (OSError, ValueError) as e:
                report.kind = "unreadable"
                report.fail(f"not a JSON file: {e}")
                continue
            if not isinstance(data, dict) or not ({"releases", "records"} & set(data)):
                report.kind = "not a package"
                report.fail("neither a release package (`releases`) nor a record package (`records`)")
                continue
            if "records" in data:
                items = data.get("records") if isinstance(data.get("records"), list) else []
                report.kind = f"record package, {len(items)} record(s)"
                records.append((report, data))
            else:
                items = data.get("releases") if isinstance(data.get("releases"), list) else []
                report.kind = f"release package, {len(items)} release(s)"
                packages.append((report, data))
            declared = [extension_repo(u) or u for u in data.get("extensions") or [] if isinstance(u, str)]
            report.info.append("extensions declared: " + (", ".join(declared) if declared else "none"))

            check_with_libcoveocds(report, data, offline, tmpdir)
            check_links(report, data, offline)

        if args.expect_dates:
            # Awards by ocid and id from every release seen, so that a contract release that
            # omits its award can still be checked.
            for _, data in packages:
                for release in data.get("releases") or []:
                    if isinstance(release, dict):
                        for award in release.get("awards") or []:
                            if isinstance(award, dict) and "id" in award:
                                awards_by_ocid.setdefault(release.get("ocid"), {})[award["id"]] = award
            for report, data in packages:
                releases = data.get("releases") if isinstance(data.get("releases"), list) else []
                check_release_order(report, "/releases", releases, last_by_ocid)
                for i, release in enumerate(releases):
                    if isinstance(release, dict):
                        check_contract_dates(report, f"/releases/{i}", release, awards_by_ocid)
            for report, data in records:
                for r, record in enumerate(data.get("records") or []):
                    if not isinstance(record, dict):
                        continue
                    embedded = [x for x in record.get("releases") or [] if isinstance(x, dict) and "ocid" in x]
                    check_release_order(report, f"/records/{r}/releases", embedded, {})
                    for i, release in enumerate(embedded):
                        check_contract_dates(report, f"/records/{r}/releases/{i}", release, awards_by_ocid)
                    if isinstance(record.get("compiledRelease"), dict):
                        check_contract_dates(report, f"/records/{r}/compiledRelease", record["compiledRelease"], {})

        if args.compile:
            compiled = None
            if not packages:
                # Each record is compared with ocdskit's compile of its own releases.
                compiled = {}
            else:
                misses_before = len(offline.misses)
                try:
                    compiled = compile_releases([data for _, data in packages])
                except Exception as e:
                    message = f"ocdskit compile raised {type(e).__name__}: {short(str(e), 300)}"
                    for report, _ in packages + records:
                        report.fail(message)
                for url in dict.fromkeys(offline.misses[misses_before:]):
                    for report, _ in packages + records:
                        report.fail(f"ocdskit compile: no local copy of {url}")
                if compiled is not None:
                    for report, _ in packages:
                        report.info.append(f"ocdskit compiled {len(compiled)} ocid(s) from {len(packages)} release package(s)")
            if compiled is not None:
                for report, data in records:
                    for r, record in enumerate(data.get("records") or []):
                        if not isinstance(record, dict):
                            continue
                        ocid = record.get("ocid")
                        mine = record.get("compiledRelease")
                        # The record's own releases are the process's whole history: what
                        # ocdskit compiles from them is what the record must say.
                        theirs = None
                        own = [x for x in record.get("releases") or [] if isinstance(x, dict) and "ocid" in x]
                        if own:
                            try:
                                theirs = compile_releases([{**{k: v for k, v in data.items() if k != "records"}, "releases": own}]).get(ocid)
                            except Exception as e:
                                report.fail(f"ocdskit compile of /records/{r}/releases raised {type(e).__name__}: {short(str(e), 300)}")
                                continue
                        if theirs is None:
                            theirs = compiled.get(ocid)
                        if not isinstance(mine, dict):
                            report.fail(f"compile: /records/{r} ({ocid}) has no compiledRelease")
                        elif theirs is None:
                            report.fail(f"compile: /records/{r} ({ocid}): no release of this ocid in the release packages given")
                        else:
                            differences = diff(
                                {k: v for k, v in mine.items() if k != "id"},
                                {k: v for k, v in theirs.items() if k != "id"},
                                f"/records/{r}/compiledRelease",
                            )
                            for d in differences:
                                report.fail(f"compile: {d}")
                            if not differences:
                                report.info.append(f"compiledRelease of {ocid} matches ocdskit's (id aside)")

    # Anything that reached for the network outside the steps above.
    leftover = [m for m in offline.misses if m.startswith("network access attempted")]
    if leftover and reports and not any(leftover[0] in f for r in reports for f in r.failures):
        reports[-1].fail(leftover[0])

    for report in reports:
        report.print(sys.stdout, args.max_lines)
    failed = sum(1 for r in reports if r.failures)
    print(f"ocds: {len(reports) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
