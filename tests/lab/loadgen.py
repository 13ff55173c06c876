#!/usr/bin/env python3
"""Bounded load generator for the lab (test tool; Python 3.11, stdlib only).

    python tests/lab/loadgen.py --url https://127.0.0.1:8443/standin/echo/1.0.0
        [--url ...] --count N --duration S [--concurrency C] [--delay-ms D]
        [--insecure | --cafile F] [--timeout T] [--stop-file PATH]
        --report out.json

Sends GET requests (round robin over the URLs, C at a time) until N were
sent, S seconds passed or PATH exists, whichever comes first (checked
before each request; requests in flight then finish, so a run lasts at most
S plus the timeout).  A request
fails on a connection error, a timeout (T, default 10 s) or a status other
than 200.  Writes a JSON report (sent, ok, failed, by_status, errors: the
first 20 with time and message, started, ended, stopped_by, per_second) and
prints one summary line.  Exit status 0 whatever failed (the caller
decides); 2 for a usage error, including a target that is not in the lab:

Only loopback (127.0.0.0/8, ::1, localhost) and private lab addresses
(RFC 1918: 10/8, 172.16/12, which holds Docker's bridge networks, 192.168/16)
are accepted, as IP literals (or localhost); anything else is refused
before any connection or name lookup.  With --delay-ms D each URL gets the
query parameter delay_ms=D (the stand-in gateway's test API delays its
answer by it).  Start it with subprocess.Popen and create the stop file to
end it early.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import ipaddress
import json
import os
import socket
import ssl
import sys
import threading
import time
import urllib.parse

LAB_NETWORKS = [ipaddress.ip_network(n) for n in (
    "127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12",
    "192.168.0.0/16")]
MAX_ERRORS = 20
MAX_CONCURRENCY = 256
MAX_DURATION = 3600.0


class UsageError(Exception):
    pass


def parse_resolve(items):
    """{name: address} from --resolve NAME:ADDRESS options (like curl's --resolve, without a port)."""
    resolved = {}
    for item in items or []:
        name, sep, addr = item.partition(":")
        if not sep or not name or not addr:
            raise UsageError(f"--resolve {item}: expected NAME:ADDRESS")
        resolved[name.lower()] = addr
    return resolved


def check_target(url, resolve=None):
    """Parsed URL if it is http(s) to a lab host, else raise UsageError.

    No name is resolved: only "localhost", IP literals and names given an
    address with --resolve (the address is the one checked) are accepted.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"{url}: only http:// and https:// URLs are "
                         "supported")
    host = parts.hostname
    if not host:
        raise UsageError(f"{url}: no host")
    try:
        parts.port  # noqa: B018 (validates the port)
    except ValueError as exc:
        raise UsageError(f"{url}: {exc}") from None
    if host.lower() == "localhost":
        return parts
    host = (resolve or {}).get(host.lower(), host)
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        raise UsageError(
            f"{url}: refusing host {host!r}: give localhost or an IP "
            "address of the lab (loopback 127.0.0.0/8, ::1, or RFC 1918 "
            "10/8, 172.16/12, 192.168/16)") from None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    if not any(addr in net for net in LAB_NETWORKS
               if net.version == addr.version):
        raise UsageError(
            f"{url}: refusing {addr}: not a loopback or private lab address "
            "(loopback 127.0.0.0/8, ::1, or RFC 1918 10/8, 172.16/12, "
            "192.168/16); this tool only loads the lab")
    return parts


def with_delay(parts, delay_ms):
    query = parts.query
    if delay_ms is not None:
        query = "&".join(q for q in (query, f"delay_ms={delay_ms}") if q)
    path = parts.path or "/"
    return path + (f"?{query}" if query else "")


def ssl_context(insecure, cafile):
    if insecure:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    return ssl.create_default_context(cafile=cafile)


class _HTTPTo(http.client.HTTPConnection):
    """HTTP to ``address``, with the URL's name in the Host header."""

    def __init__(self, name, port, address, **kwargs):
        super().__init__(name, port, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port),
                                            self.timeout)


class _HTTPSTo(http.client.HTTPSConnection):
    """HTTPS to ``address``, with the URL's name as Host, SNI and verified name."""

    def __init__(self, name, port, address, **kwargs):
        super().__init__(name, port, **kwargs)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port),
                                        self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class Target:
    def __init__(self, url, parts, delay_ms, context, timeout, resolve=None):
        self.url = url
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.address = (resolve or {}).get(self.host.lower(), self.host)
        self.target = with_delay(parts, delay_ms)
        self.context = context
        self.timeout = timeout

    def request(self):
        """Status code of one GET (raises OSError/HTTPException)."""
        if self.scheme == "https":
            conn = _HTTPSTo(self.host, self.port, self.address,
                            timeout=self.timeout, context=self.context)
        else:
            conn = _HTTPTo(self.host, self.port, self.address,
                           timeout=self.timeout)
        try:
            conn.request("GET", self.target,
                         headers={"Connection": "close",
                                  "User-Agent": "wso2am-lab-loadgen"})
            resp = conn.getresponse()
            resp.read()
            return resp.status
        finally:
            conn.close()


class Run:
    """Shared state of one run."""

    def __init__(self, targets, count, duration, stop_file):
        self.targets = targets
        self.count = count
        self.stop_file = stop_file
        self.lock = threading.Lock()
        self.start = time.monotonic()
        self.deadline = self.start + duration
        self.sent = self.ok = self.failed = 0
        self.by_status = {}
        self.errors = []
        self.per_second = {}
        self.stopped_by = None

    def stop_reason(self):
        if self.sent >= self.count:
            return "count"
        if time.monotonic() >= self.deadline:
            return "duration"
        if self.stop_file and os.path.exists(self.stop_file):
            return "stop-file"
        return None

    def next_target(self):
        with self.lock:
            reason = self.stop_reason()
            if reason:
                self.stopped_by = self.stopped_by or reason
                return None
            target = self.targets[self.sent % len(self.targets)]
            self.sent += 1
            return target

    def record(self, target, sent_at, status, error):
        second = int(sent_at - self.start)
        with self.lock:
            bucket = self.per_second.setdefault(
                second, {"second": second, "sent": 0, "ok": 0, "failed": 0})
            bucket["sent"] += 1
            if status is not None:
                self.by_status[str(status)] = \
                    self.by_status.get(str(status), 0) + 1
            if status == 200:
                self.ok += 1
                bucket["ok"] += 1
                return
            self.failed += 1
            bucket["failed"] += 1
            if len(self.errors) < MAX_ERRORS:
                self.errors.append({
                    "t": round(sent_at - self.start, 3),
                    "time": _iso(time.time()), "url": target.url,
                    "message": error or f"HTTP status {status}"})


def _iso(epoch):
    return datetime.datetime.fromtimestamp(
        epoch, datetime.timezone.utc).isoformat(timespec="milliseconds")


def worker(run):
    while True:
        target = run.next_target()
        if target is None:
            return
        sent_at = time.monotonic()
        status = error = None
        try:
            status = target.request()
        except TimeoutError as exc:
            error = f"timeout after {target.timeout:g} s ({exc})"
        except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        run.record(target, sent_at, status, error)


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Bounded load generator for the lab (loopback and "
                    "private addresses only).")
    p.add_argument("--url", action="append", required=True,
                   help="target URL (repeatable; round robin)")
    p.add_argument("--resolve", action="append", default=[],
                   help="NAME:ADDRESS: connect to ADDRESS for URLs naming "
                        "NAME (Host header, SNI and certificate check use "
                        "NAME); ADDRESS must be a lab address")
    p.add_argument("--count", type=int, required=True,
                   help="at most this many requests")
    p.add_argument("--duration", type=float, required=True,
                   help="at most this many seconds")
    p.add_argument("--concurrency", type=int, default=1,
                   help="requests in parallel (default 1)")
    p.add_argument("--delay-ms", type=int,
                   help="add delay_ms=D to each URL's query")
    tls = p.add_mutually_exclusive_group()
    tls.add_argument("--insecure", action="store_true",
                     help="do not verify TLS certificates")
    tls.add_argument("--cafile", help="CA bundle to verify TLS with")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="per-request timeout in seconds (default 10)")
    p.add_argument("--stop-file",
                   help="stop early once this file exists")
    p.add_argument("--report", required=True, help="JSON report to write")
    args = p.parse_args(argv)
    if args.count < 1:
        p.error("--count must be at least 1")
    if not 0 < args.duration <= MAX_DURATION:
        p.error(f"--duration must be in (0, {MAX_DURATION:g}]")
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        p.error(f"--concurrency must be 1..{MAX_CONCURRENCY}")
    if args.delay_ms is not None and args.delay_ms < 0:
        p.error("--delay-ms must not be negative")
    if not args.timeout > 0:
        p.error("--timeout must be positive")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        resolve = parse_resolve(args.resolve)
        parsed = [(url, check_target(url, resolve)) for url in args.url]
    except UsageError as exc:
        print(f"loadgen: error: {exc}", file=sys.stderr)
        return 2
    try:
        context = ssl_context(args.insecure, args.cafile)
    except (OSError, ssl.SSLError) as exc:
        print(f"loadgen: error: --cafile {args.cafile}: {exc}",
              file=sys.stderr)
        return 2
    targets = [Target(url, parts, args.delay_ms, context, args.timeout,
                      resolve)
               for url, parts in parsed]
    run = Run(targets, args.count, args.duration, args.stop_file)
    started = time.time()
    threads = [threading.Thread(target=worker, args=(run,), daemon=True)
               for _ in range(min(args.concurrency, args.count))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ended = time.time()
    report = {
        "urls": args.url, "count": args.count, "duration": args.duration,
        "concurrency": args.concurrency, "delay_ms": args.delay_ms,
        "sent": run.sent, "ok": run.ok, "failed": run.failed,
        "by_status": dict(sorted(run.by_status.items())),
        "errors": run.errors,
        "started": _iso(started), "ended": _iso(ended),
        "elapsed_s": round(ended - started, 3),
        "stopped_by": run.stopped_by,
        "per_second": [run.per_second[s] for s in sorted(run.per_second)],
    }
    tmp = f"{args.report}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, args.report)
    print(f"loadgen: sent={run.sent} ok={run.ok} failed={run.failed} "
          f"by_status={json.dumps(report['by_status'], sort_keys=True)} "
          f"in {report['elapsed_s']:.1f}s (stopped by {run.stopped_by}); "
          f"report {args.report}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
