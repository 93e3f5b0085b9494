"""What a toolchain is: the kind and kubectl binaries and the images cluster creation needs."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Toolchain:
    """What cluster creation needs, wherever it came from."""

    mode: str  # "hermetic" (built here) or "official" (kind's release binary and node images)
    kind: Path
    kubectl: Path
    node_image: str
    toolbox_image: str
    kubernetes_version: str
    kind_version: str

    def to_json(self) -> str:
        return json.dumps({k: str(v) for k, v in asdict(self).items()}, indent=2)
