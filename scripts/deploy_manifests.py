"""Render the Kubernetes kustomizations in deploy/ and sort the rendered objects for checking.

    python scripts/deploy_manifests.py render DIR [--component DIR ...]
    python scripts/deploy_manifests.py split RENDERED.yaml CORE.yaml RULES_DIR

``render`` builds DIR with kustomize (the Go library bundled in the ``pykustomize`` wheel,
the same code as ``kustomize build`` and ``kubectl kustomize``) and prints the YAML. With
``--component``, DIR is built as a base with those components applied, through a throwaway
kustomization (an overlay inside the base's own folder would be a cycle for kustomize).

``split`` writes the objects that Kubernetes itself defines to CORE.yaml (for
kubernetes-validate) and leaves out the Prometheus Operator's (``monitoring.coreos.com``),
naming each one it leaves out; each PrometheusRule's ``spec`` is written to RULES_DIR as a
Prometheus rule file (for ``promtool check rules``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

OPERATOR_GROUP = "monitoring.coreos.com"


def build(directory: Path) -> str:
    """``kustomize build DIRECTORY``; raises SystemExit with kustomize's message on failure."""
    try:
        import pykustomize
    except ImportError as exc:
        raise SystemExit(
            f"pykustomize is not installed ({exc}): "
            "pip install --ignore-requires-python 'pykustomize==0.1.4'"
        ) from None
    try:
        return asyncio.run(pykustomize.build(directory)).yaml
    except pykustomize.KustomizeError as exc:
        raise SystemExit(f"kustomize build {directory} failed: {exc}") from None


def build_with_components(base: Path, components: list[Path]) -> str:
    """Build ``base`` with ``components`` through a temporary kustomization."""
    with tempfile.TemporaryDirectory(prefix="kustomize-") as tmp:
        kustomization = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": [os.path.relpath(base.resolve(), tmp)],
            "components": [os.path.relpath(c.resolve(), tmp) for c in components],
        }
        Path(tmp, "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
        return build(Path(tmp))


def describe(obj: dict[str, Any]) -> str:
    """kind/name of a rendered object."""
    name = (obj.get("metadata") or {}).get("name", "?")
    return f"{obj.get('kind', '?')}/{name}"


def split(rendered: Path, core: Path, rules_dir: Path) -> int:
    """Write Kubernetes' own objects to ``core`` and PrometheusRule specs to ``rules_dir``."""
    objects = [obj for obj in yaml.safe_load_all(rendered.read_text()) if obj]
    kept: list[dict[str, Any]] = []
    rules_dir.mkdir(parents=True, exist_ok=True)
    for obj in objects:
        group = str(obj.get("apiVersion", "")).partition("/")[0]
        if group != OPERATOR_GROUP:
            kept.append(obj)
            continue
        print(f"  skipped by kubernetes-validate (no schema for {group}): {describe(obj)}")
        if obj.get("kind") == "PrometheusRule":
            name = (obj.get("metadata") or {}).get("name", "rule")
            out = rules_dir / f"{rendered.stem}-{name}.yml"
            out.write_text(yaml.safe_dump(obj.get("spec") or {}, sort_keys=False))
    core.write_text(yaml.safe_dump_all(kept, sort_keys=False))
    return len(kept)


def main(argv: list[str]) -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    render = sub.add_parser("render", help="kustomize build DIR (with components)")
    render.add_argument("directory", type=Path)
    render.add_argument("--component", type=Path, action="append", default=[])
    splitter = sub.add_parser("split", help="sort rendered objects for the checkers")
    splitter.add_argument("rendered", type=Path)
    splitter.add_argument("core", type=Path)
    splitter.add_argument("rules_dir", type=Path)
    args = parser.parse_args(argv)
    if args.command == "render":
        if args.component:
            text = build_with_components(args.directory, args.component)
        else:
            text = build(args.directory)
        sys.stdout.write(text)
        return 0
    count = split(args.rendered, args.core, args.rules_dir)
    if count == 0:
        print(f"{args.rendered}: no Kubernetes objects to validate", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
