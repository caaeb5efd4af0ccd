"""GraphQL artefacts: subgraph SDL, the composed supergraph, freshness and breaking checks."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from graphql import GraphQLSchema, build_ast_schema, find_breaking_changes, parse

from bff.settings import BffLimits
from bff.subgraphs import SUBGRAPHS, path_of
from core.settings import REPO_ROOT
from infra.gateway import GATEWAY_DIR, ensure_installed

SCHEMA_DIR = REPO_ROOT / "schemas" / "graphql"
ALLOW_FILE = SCHEMA_DIR / "breaking-changes-allowed.txt"
SUPERGRAPH = "supergraph"
# The URL composed into the checked-in supergraph; the gateway overrides it at run time.
DEFAULT_BFF_URL = "http://127.0.0.1:8000"


def subgraph_sdls() -> dict[str, str]:
    return {name: build(BffLimits()).as_str() + "\n" for name, build in SUBGRAPHS.items()}


def compose(sdls: dict[str, str]) -> str:
    """Compose with @theguild/federation-composition (Node); raises with its errors."""
    ensure_installed()  # a fresh clone has no node_modules yet
    payload = [
        {"name": n, "url": DEFAULT_BFF_URL + path_of(n), "sdl": sdl} for n, sdl in sdls.items()
    ]
    result = subprocess.run(
        ["node", str(GATEWAY_DIR / "compose.mjs")],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=GATEWAY_DIR,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"supergraph composition failed:\n{result.stderr}")
    return result.stdout.rstrip("\n") + "\n"


def artefacts() -> dict[str, str]:
    """File name → content of every checked-in GraphQL artefact."""
    sdls = subgraph_sdls()
    files = {f"{name}.graphql": sdl for name, sdl in sdls.items()}
    files[f"{SUPERGRAPH}.graphql"] = compose(sdls)
    return files


def write(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in artefacts().items():
        path = directory / name
        path.write_text(content)
        written.append(path)
    return written


def stale(directory: Path = SCHEMA_DIR) -> list[str]:
    """Artefacts whose checked-in content differs from a fresh generation."""
    out = []
    for name, content in artefacts().items():
        path = directory / name
        if not path.exists() or path.read_text() != content:
            out.append(str(path.relative_to(REPO_ROOT)))
    return out


def _schema(sdl: str) -> GraphQLSchema:
    # Federation directives (@key, @link...) are not defined in subgraph SDL: skip SDL validation.
    return build_ast_schema(parse(sdl), assume_valid_sdl=True)


def _committed(ref: str, name: str) -> str | None:
    rel = (SCHEMA_DIR / f"{name}.graphql").relative_to(REPO_ROOT)
    result = subprocess.run(
        ["git", "show", f"{ref}:{rel}"], capture_output=True, text=True, cwd=REPO_ROOT, check=False
    )
    return result.stdout if result.returncode == 0 else None


def allowed_changes(path: Path = ALLOW_FILE) -> set[str]:
    """Reviewed exceptions, one `<subgraph>: <description>` a line; `#` starts a comment."""
    if not path.exists():
        return set()
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return {line for line in lines if line}


def diff_breaking(old: dict[str, str], new: dict[str, str], allowed: set[str]) -> list[str]:
    """Breaking changes per subgraph (`<subgraph>: <description>`) not in `allowed`."""
    found = []
    for name, sdl in new.items():
        if name not in old:
            continue  # a new subgraph breaks nobody
        for change in find_breaking_changes(_schema(old[name]), _schema(sdl)):
            line = f"{name}: {change.description}"
            if line not in allowed:
                found.append(line)
    return found


def breaking_changes(ref: str = "HEAD~1") -> list[str]:
    """Unreviewed breaking changes of each subgraph between `ref` and the current code."""
    new = subgraph_sdls()
    old = {n: sdl for n in new if (sdl := _committed(ref, n)) is not None}
    return diff_breaking(old, new, allowed_changes())


def check_fresh() -> int:
    """Freshness check for `orion lint`: 0 when schemas/graphql matches the code."""
    names = stale()
    for name in names:
        print(f"stale GraphQL artefact: {name} (run `orion graphql-schemas`)")
    return 1 if names else 0


def check_breaking(ref: str = "HEAD~1") -> int:
    """Breaking-change check for `orion lint`: 0 unless an unreviewed breaking change exists."""
    changes = breaking_changes(ref)
    for change in changes:
        print(f"breaking GraphQL change vs {ref}: {change}")
    if changes:
        print(f"review it, then list it in {ALLOW_FILE.relative_to(REPO_ROOT)} to allow it")
    return 1 if changes else 0
