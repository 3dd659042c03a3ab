"""``python -m local`` (``make run``): start the local runtime, say how to use it, stop on Ctrl-C.

Owns the command line, the console logging setup and the signal handling; the
runtime itself is ``local.runtime.LocalRuntime``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import warnings
from types import FrameType

from local.console_site import CONSOLE_PATH
from local.dynamodb_local import DynamoDBLocalMissing
from local.http_bridge import describe
from local.runtime import DEMO_OWNER_EMAIL, LocalRuntime

STACK_NAME = "gatehouse-local"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m local",
        description="Run the whole Gatehouse suite on this machine (127.0.0.1 only, no AWS account).",
    )
    parser.add_argument("--port", type=int, default=8080, help="API port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--moto-port", type=int, default=5005, help="emulated AWS port (0: any free port)")
    parser.add_argument(
        "--dynamodb-port", type=int, default=0, help="DynamoDB Local's port (0, the default: any free port)"
    )
    parser.add_argument("--no-seed", action="store_true", help="do not create the demo tenant")
    parser.add_argument(
        "--schedule-seconds",
        type=float,
        help="seconds between runs of every schedule, instead of its rate "
        "(also GATEHOUSE_LOCAL_SCHEDULE_SECONDS)",
    )
    return parser


def quiet_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # moto's per-request access log and its report of every Fail state are noise here:
    # a blocked dispatch run is an expected outcome, visible in the execution history.
    for name in ("werkzeug", "moto", "botocore", "pynamodb"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", message="No application metrics to publish")


def banner(runtime: LocalRuntime) -> str:
    lines = [
        "",
        "Gatehouse is running locally (no AWS account involved).",
        f"  Console        {runtime.api_url}{CONSOLE_PATH}/",
        f"  API            {runtime.api_url}/",
        f"  Swagger UI     {runtime.api_url}/docs",
        f"  Health         {runtime.api_url}/health",
    ]
    if runtime.demo is not None:
        lines += [
            f"  Demo tenant    {runtime.demo.tenant_id}  (console: sign in as {DEMO_OWNER_EMAIL}; "
            "the link is printed below as mail)",
            f"  Demo API key   {runtime.demo.api_key}",
            f"  Try            curl -H 'Authorization: Bearer {runtime.demo.api_key}' "
            f"{runtime.api_url}/members",
            f"  Sign in        curl -H 'Content-Type: application/json' -d "
            f'\'{{"email": "{DEMO_OWNER_EMAIL}"}}\' {runtime.api_url}/sign-in/link',
        ]
    if runtime.api is not None:
        lines += [f"  Route          {line}" for line in describe(runtime.api.routes)]
    lines += [
        f"  Emulated AWS   {runtime.moto_url}  (moto: KMS, S3, STS, SES, Step Functions, EventBridge, SQS)",
        f"  DynamoDB       {runtime.dynamodb_endpoint}  (AWS's DynamoDB Local, in memory; any key works)",
        f"  e.g.           aws --endpoint-url {runtime.dynamodb_endpoint} dynamodb list-tables",
        f"  Dispatch       {runtime.state_machine_arn}",
        f"  Mail outbox    {runtime.outbox}  (sign-in links and invitations; new mail is printed below)",
        "Ctrl-C stops everything.",
        "",
    ]
    return "\n".join(lines)


def _print_new_mail(runtime: LocalRuntime, shown: int) -> int:
    """Print the outbox messages not shown yet (this is a local machine: the links are for you)."""
    messages = runtime.mail()
    for message in messages[shown:]:
        print(f"\n--- mail to {message['to']}: {message['subject']}\n{message['text']}\n---", flush=True)
    return len(messages)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    quiet_logging()
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    runtime = LocalRuntime(stack_name=STACK_NAME)
    try:
        runtime.start(
            api_port=args.port,
            moto_port=args.moto_port,
            seed=not args.no_seed,
            schedule_interval=args.schedule_seconds,
            dynamodb_port=args.dynamodb_port,
        )
    except (OSError, DynamoDBLocalMissing) as error:  # a taken port, no java: say so plainly, no traceback
        print(f"cannot start: {error}", file=sys.stderr)
        return 2
    try:
        print(banner(runtime), flush=True)
        print(f"(started in {runtime.started_in:.1f} s)", flush=True)
        shown = 0
        while not stop.wait(1.0):
            shown = _print_new_mail(runtime, shown)
    finally:
        print("stopping...", flush=True)
        runtime.stop()
        print("stopped.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
