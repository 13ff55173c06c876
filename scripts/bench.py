#!/usr/bin/env python3
"""make bench: how long wso2am.distributed takes, as ratios against a floor measured in the same run.

On the container lab (make lab first), in one run:
  first converge     site.yml on fresh containers (the lab's nodes are recreated)
  no-change run      site.yml again on the converged lab (median of --runs)
  floor              scripts/bench/floor.yml: facts, one stat per managed file and folder, one
                     health request per node (median of --runs)
  bytes copied       what Ansible handed to the nodes during each site.yml run
                     (scripts/bench/sitecustomize.py counts it), packs apart
  render scale       playbooks/render.yml for inventories of 10, 100, 500 gateways (no host)
  node scale         no-change site.yml with 1, 2 and 4 gateways (lab containers), and the
                     floor on the same hosts (how much of the growth the machine imposes)
The packs are the stand-in packs padded to the real packs' sizes (scripts/bench/pack-sizes.yml).
Prints a table and writes bench/results.json. Needs the environment of scripts/env.sh (make bench).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "inventories" / "lab"
BENCH = ROOT / "bench"
HOOKS = ROOT / "scripts" / "bench"
PADDING_ENTRY = "repository/components/bench-padding.bin"


def log(message):
    print(f"==> {message}", flush=True)


def machine():
    cores = os.cpu_count() or 1
    load = os.getloadavg()
    return {"cores": cores, "load_1m": round(load[0], 2), "load_5m": round(load[1], 2), "busy": load[0] > 0.5 * cores}


def lab_version():
    data = yaml.safe_load((LAB / "group_vars" / "all" / "main.yml").read_text())
    return str(data["wso2am_version"])


def pad_packs(version, out, pad=True):
    """Copies the stand-in packs of version (and the stand-in JDBC jar) into out, each padded with
    one incompressible stored entry to the size of the real pack (scripts/bench/pack-sizes.yml)."""
    sizes = yaml.safe_load((HOOKS / "pack-sizes.yml").read_text())["sizes"]
    source = Path(os.environ["WSO2AM_STANDIN_PACKS"])
    out.mkdir(parents=True, exist_ok=True)
    made = {}
    for jar in source.glob("*.jar"):
        shutil.copy2(jar, out / jar.name)
    for pack in source.glob(f"wso2am-*-{version}.zip"):
        target = out / pack.name
        want = int(sizes.get(pack.name, 0)) if pad else 0
        if target.exists() and target.stat().st_size >= max(want, pack.stat().st_size) and target.stat().st_mtime >= pack.stat().st_mtime:
            made[pack.name] = target.stat().st_size
            continue
        shutil.copy2(pack, target)
        missing = want - target.stat().st_size - 200
        if missing > 0:
            top = pack.name[: -len(".zip")]
            with zipfile.ZipFile(target, "a", compression=zipfile.ZIP_STORED) as archive:
                with archive.open(f"{top}/{PADDING_ENTRY}", "w", force_zip64=True) as entry:
                    chunk = 1 << 20
                    while missing > 0:
                        entry.write(os.urandom(min(chunk, missing)))
                        missing -= chunk
        made[pack.name] = target.stat().st_size
    return made


class Runner:
    def __init__(self, packs, transfers):
        self.env = dict(os.environ)
        self.env.update(
            {
                "WSO2AM_PACK_DIR": str(packs),
                "WSO2AM_JDBC_DRIVER_JAR": str(packs / "mysql-connector-j-standin.jar"),
                "WSO2AM_BENCH_TRANSFERS": str(transfers),
                "PYTHONPATH": os.pathsep.join(filter(None, [str(HOOKS), os.environ.get("PYTHONPATH", "")])),
                "ANSIBLE_NOCOLOR": "1",
            }
        )
        self.transfers = transfers

    def playbook(self, inventory, playbook, *args, check=True, logname="run"):
        """Runs a playbook; returns (seconds, transfers, recap)."""
        if self.transfers.exists():
            self.transfers.unlink()
        logfile = BENCH / f"{logname}.log"
        started = time.monotonic()
        with open(logfile, "w", encoding="utf-8") as out:
            result = subprocess.run(
                ["ansible-playbook", "-i", str(inventory), str(playbook), *args],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, check=False,
            )
        seconds = time.monotonic() - started
        if check and result.returncode != 0:
            sys.exit(f"{playbook} failed (exit {result.returncode}); see {logfile}")
        text = logfile.read_text(encoding="utf-8", errors="replace")
        changed = sum(int(part.split("=")[1]) for line in text.splitlines() if "changed=" in line
                      for part in line.split() if part.startswith("changed="))
        return seconds, self.read_transfers(), changed

    def read_transfers(self):
        total, packs, modules = 0, 0, 0
        if self.transfers.exists():
            for line in self.transfers.read_text().splitlines():
                size, kind, name = line.split("\t", 2)
                total += int(size)
                if kind == "module":
                    modules += int(size)
                elif name.startswith("wso2am-") and name.endswith(".zip"):
                    packs += int(size)
        return {"total_bytes": total, "pack_bytes": packs, "module_bytes": modules}


def median_run(runner, runs, *call):
    results = [runner.playbook(*call) for _ in range(runs)]
    return statistics.median(r[0] for r in results), results


def lab_inventory(gateways, folder):
    """inventories/lab with `gateways` gateways (lab-gw1..N), sharing the lab's PKI."""
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(LAB / "group_vars", folder / "group_vars")
    hosts = yaml.safe_load((LAB / "hosts.yml").read_text())
    hosts["all"]["children"]["gateway"]["hosts"] = {f"lab-gw{i}": None for i in range(1, gateways + 1)}
    (folder / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    extra = folder / "group_vars" / "all" / "bench.yml"
    extra.write_text(f"wso2am_pki_dir: {ROOT / 'inventories' / 'pki' / 'lab'}\n")
    return folder


def render_inventory(gateways, folder):
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(LAB / "group_vars", folder / "group_vars")
    children = {
        "database": {"hosts": {"db1": None}},
        "control_plane": {"hosts": {"cp1": None}},
        "traffic_manager": {"hosts": {"tm1": None}},
        "gateway": {"hosts": {f"gw{i}": None for i in range(1, gateways + 1)}},
    }
    (folder / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": children}}, sort_keys=False))
    return folder


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs per median (default 3)")
    parser.add_argument("--skip-first-converge", action="store_true", help="keep the lab's containers; no first converge")
    parser.add_argument("--skip-node-scale", action="store_true", help="no 1/2/4-gateway runs")
    parser.add_argument("--render-sizes", default="10,100,500", help="gateways per render inventory (default 10,100,500)")
    parser.add_argument("--no-pad", action="store_true", help="stand-in packs as built (not padded to the real sizes)")
    parser.add_argument("--out", default=str(BENCH / "results.json"))
    args = parser.parse_args()

    BENCH.mkdir(exist_ok=True)
    results = {"machine_before": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    m = results["machine_before"]
    log(f"machine: {m['cores']} cores, load {m['load_1m']} (1 min) {m['load_5m']} (5 min)")
    if m["busy"]:
        log("WARNING: the machine is busy (load above half its cores): the figures will be slow and noisy")

    version = lab_version()
    packs = BENCH / "packs"
    results["packs"] = pad_packs(version, packs, pad=not args.no_pad)
    if not args.no_pad and not yaml.safe_load((HOOKS / "pack-sizes.yml").read_text()).get("sizes"):
        log("WARNING: scripts/bench/pack-sizes.yml lists no real pack sizes: the packs are not padded")
        results["packs_padded"] = False
    log("packs: " + ", ".join(f"{name} {size / 1e6:.0f} MB" for name, size in sorted(results["packs"].items())))
    runner = Runner(packs, BENCH / "transfers.tsv")
    site, floor = ROOT / "playbooks" / "site.yml", HOOKS / "floor.yml"
    containers = ROOT / "tests" / "lab" / "containers.yml"

    if not args.skip_first_converge:
        log("first converge: recreating the lab's containers")
        runner.playbook(LAB, containers, "-e", "lab_state=absent", logname="containers")
        runner.playbook(LAB, containers, logname="containers")
        seconds, transfers, _changed = runner.playbook(LAB, site, logname="first-converge")
        results["first_converge"] = {"seconds": round(seconds, 1), **transfers}
        log(f"first converge: {seconds:.1f} s, {transfers['pack_bytes'] / 1e6:.0f} MB of packs copied")
    else:
        runner.playbook(LAB, site, logname="converge")

    log(f"no-change run and floor, {args.runs} runs each")
    no_change, runs = median_run(runner, args.runs, LAB, site)
    floor_s, _ = median_run(runner, args.runs, LAB, floor)
    results["no_change"] = {
        "seconds": round(no_change, 1),
        "runs": [round(r[0], 1) for r in runs],
        "changed_tasks": max(r[2] for r in runs),
        **runs[-1][1],
    }
    results["floor"] = {"seconds": round(floor_s, 1)}
    results["ratio_no_change_to_floor"] = round(no_change / floor_s, 2)

    sizes = [int(n) for n in args.render_sizes.split(",") if n.strip()]
    results["render"] = {}
    for gateways in sizes:
        inventory = render_inventory(gateways, BENCH / "inventories" / f"render-{gateways}" / "lab")
        seconds, _, _ = runner.playbook(inventory, ROOT / "playbooks" / "render.yml", "-e",
                                        f"wso2am_render_dir={BENCH / 'rendered' / str(gateways)}", logname=f"render-{gateways}")
        results["render"][str(gateways)] = {"seconds": round(seconds, 1), "per_gateway_ms": round(1000 * seconds / gateways)}
        log(f"render.yml, {gateways} gateways: {seconds:.1f} s")

    if not args.skip_node_scale:
        results["node_scale"] = {}
        for gateways in (4, 2, 1):
            inventory = lab_inventory(gateways, BENCH / "inventories" / f"gw-{gateways}" / "lab")
            runner.playbook(inventory, containers, logname=f"containers-{gateways}")
            runner.playbook(inventory, site, logname=f"converge-{gateways}")
            seconds, runs = median_run(runner, args.runs, inventory, site)
            # The floor on the same hosts: how much of the growth the machine itself imposes (on a
            # small machine the lab's nodes and the controller share the cores).
            floor_n, _ = median_run(runner, args.runs, inventory, floor)
            results["node_scale"][str(gateways)] = {"seconds": round(seconds, 1), "changed_tasks": max(r[2] for r in runs),
                                                    "floor_seconds": round(floor_n, 1)}
            log(f"no-change run with {gateways} gateway(s): {seconds:.1f} s (floor {floor_n:.1f} s)")
        # Back to the lab as make lab left it (its two gateways); the extra containers go.
        runner.playbook(LAB, site, logname="converge")
        for name in ("lab-gw3", "lab-gw4"):
            subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
        one = results["node_scale"]["1"]["seconds"]
        results["ratio_4_to_1_gateways"] = round(results["node_scale"]["4"]["seconds"] / one, 2)
        results["floor_ratio_4_to_1_gateways"] = round(results["node_scale"]["4"]["floor_seconds"]
                                                       / results["node_scale"]["1"]["floor_seconds"], 2)

    results["machine_after"] = machine()
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(table(results))
    print(f"\n(written to {args.out})")


def table(r):
    rows = [("figure", "value", "target")]
    if "first_converge" in r:
        fc = r["first_converge"]
        rows.append(("first converge", f"{fc['seconds']} s, packs {fc['pack_bytes'] / 1e6:.0f} MB copied", "each pack once per node"))
    nc = r["no_change"]
    rows.append(("no-change run", f"{nc['seconds']} s (runs {nc['runs']}), {nc['changed_tasks']} changed", "0 changed"))
    rows.append(("floor", f"{r['floor']['seconds']} s", ""))
    rows.append(("no-change / floor", f"{r['ratio_no_change_to_floor']}", "<= 1.5"))
    rows.append(("bytes copied, no-change run", f"packs {nc['pack_bytes']}, files {nc['total_bytes'] - nc['module_bytes']}, modules {nc['module_bytes']}", "0 for packs"))
    for gateways, figure in r.get("render", {}).items():
        target = {"100": "< 15 s", "500": "< 60 s"}.get(gateways, "")
        rows.append((f"render.yml, {gateways} gateways", f"{figure['seconds']} s ({figure['per_gateway_ms']} ms per gateway)", target))
    for gateways, figure in r.get("node_scale", {}).items():
        floor_n = f" (floor {figure['floor_seconds']} s)" if "floor_seconds" in figure else ""
        rows.append((f"no-change run, {gateways} gateway(s)", f"{figure['seconds']} s{floor_n}", ""))
    if "ratio_4_to_1_gateways" in r:
        floor_ratio = f" (floor {r['floor_ratio_4_to_1_gateways']})" if "floor_ratio_4_to_1_gateways" in r else ""
        rows.append(("4 gateways / 1 gateway", f"{r['ratio_4_to_1_gateways']}{floor_ratio}", "<= 1.3"))
    mb, ma = r["machine_before"], r["machine_after"]
    rows.append(("machine", f"{mb['cores']} cores, load {mb['load_1m']} before, {ma['load_1m']} after", ""))
    width = [max(len(str(row[i])) for row in rows) for i in range(3)]
    return "\n".join("  ".join(str(cell).ljust(width[i]) for i, cell in enumerate(row)).rstrip() for row in rows)


if __name__ == "__main__":
    main()
