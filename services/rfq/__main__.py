"""`python -m services.rfq`: serve RFQs until SIGTERM/SIGINT, then drain."""

from __future__ import annotations

from core.service_main import run
from services.rfq.bootstrap import RfqProcess


def _banner(process: RfqProcess, port: object) -> str:
    return f"rfq gRPC on {process.host}:{port}"


def main() -> None:
    run(RfqProcess, _banner)


if __name__ == "__main__":
    main()
